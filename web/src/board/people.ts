// The people on the board, in one section per department, filtered by the search box and sorted by name
// or presence. Built for 10 or 500 colleagues: a tile is rebuilt only when its person changed (the stream
// hands unchanged people over as the same objects), and the clock updates call times in place.

import type { Presence } from "../../../src/domain/presence.js";
import type { BoardView, PersonView } from "../../../src/domain/visibility.js";
import { byId, element } from "../session.js";
import { state } from "./state.js";
import { language, t } from "./strings.js";
import { departmentName, personTile } from "./tiles.js";

/** Sorting by presence: who needs attention first, then who can take a call, then the rest. */
const PRESENCE_ORDER: Record<Presence, number> = {
  ringing: 0,
  available: 1,
  "on-call": 2,
  "on-hold": 3,
  away: 4,
  dnd: 5,
  offline: 6,
};

interface CachedTile {
  person: PersonView;
  may: BoardView["may"];
  departments: BoardView["departments"];
  language: string;
  tile: HTMLElement;
}

const tiles = new Map<string, CachedTile>();

function tileFor(view: BoardView, person: PersonView): HTMLElement {
  const cached = tiles.get(person.id);
  if (
    cached &&
    cached.person === person &&
    cached.may === view.may &&
    cached.departments === view.departments &&
    cached.language === language()
  )
    return cached.tile;
  const tile = personTile(view, person);
  tiles.set(person.id, { person, may: view.may, departments: view.departments, language: language(), tile });
  return tile;
}

/** Whether the search matches a person's name, extension, or one of their departments' names or ids. */
export function matches(view: BoardView, person: PersonView, query: string): boolean {
  if (!query) return true;
  const q = query.toLocaleLowerCase();
  return (
    person.name.toLocaleLowerCase().includes(q) ||
    person.extension.includes(q) ||
    person.departments.some(
      (d) => d.toLocaleLowerCase().includes(q) || departmentName(view, d).toLocaleLowerCase().includes(q),
    )
  );
}

function compare(a: PersonView, b: PersonView): number {
  if (state.sort === "presence") {
    const byPresence = PRESENCE_ORDER[a.presence] - PRESENCE_ORDER[b.presence];
    if (byPresence !== 0) return byPresence;
  }
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/**
 * Each person shows once: in the first of their departments the viewer belongs to, else in their first
 * department. The viewer's own departments come first.
 */
function sections(view: BoardView, people: PersonView[]): Map<string, PersonView[]> {
  const me = view.people.find((p) => p.id === view.viewer);
  const mine = me?.departments ?? [];
  const out = new Map<string, PersonView[]>();
  for (const d of mine) out.set(d, []);
  for (const person of people) {
    const home = person.departments.find((d) => mine.includes(d)) ?? person.departments[0] ?? "";
    let list = out.get(home);
    if (!list) {
      list = [];
      out.set(home, list);
    }
    list.push(person);
  }
  for (const [d, list] of out) if (list.length === 0) out.delete(d);
  return out;
}

/** Reuses a section element per department (so focus and scroll survive updates). */
const sectionElements = new Map<
  string,
  { section: HTMLElement; grid: HTMLElement; count: HTMLElement; name: Text }
>();

function sectionFor(
  view: BoardView,
  department: string,
): { section: HTMLElement; grid: HTMLElement; count: HTMLElement } {
  let entry = sectionElements.get(department);
  if (!entry) {
    const section = element("section", undefined, "department");
    section.dataset.department = department;
    const id = `dep-${department.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const title = element("h3");
    title.id = id;
    section.setAttribute("aria-labelledby", id);
    const name = document.createTextNode("");
    const count = element("span", undefined, "count");
    title.append(name, " ", count);
    const grid = element("div", undefined, "people");
    section.append(title, grid);
    entry = { section, grid, count, name };
    sectionElements.set(department, entry);
  }
  // The department's name, as the view names it (it may change with the directory, or the language).
  const title = department ? departmentName(view, department) : t("section.other");
  if (entry.name.data !== title) entry.name.data = title;
  return entry;
}

/** Puts `children` into `parent` in order, moving only what is out of place and dropping what is gone. */
function placeChildren(parent: HTMLElement, children: readonly HTMLElement[]): void {
  const keep = new Set<Element>(children);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  children.forEach((child, i) => {
    if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] ?? null);
  });
}

export function renderPeople(view: BoardView): void {
  const container = byId("people");
  container.classList.toggle("compact", state.compact);
  const shown = view.people.filter((p) => matches(view, p, state.search)).sort(compare);
  const bySection = sections(view, shown);
  const all = sections(view, view.people);
  const elements: HTMLElement[] = [];
  for (const [department, people] of bySection) {
    const { section, grid, count } = sectionFor(view, department);
    count.textContent = t("people.count", {
      shown: people.length,
      total: all.get(department)?.length ?? people.length,
    });
    placeChildren(
      grid,
      people.map((p) => tileFor(view, p)),
    );
    elements.push(section);
  }
  placeChildren(container, elements);
  const none = byId("people-none");
  none.hidden = shown.length > 0 || view.people.length === 0;
  if (!none.hidden) none.textContent = t("people.none", { query: state.search });
  // Forget tiles of people no longer on the board.
  const present = new Set(view.people.map((p) => p.id));
  for (const id of tiles.keys()) if (!present.has(id)) tiles.delete(id);
}
