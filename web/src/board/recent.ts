// The Recent panel: the viewer's latest ended calls, and their colleagues' where the board shows them
// (GET /v1/history applies the board's rules, so a row's hidden details never reach the page). Calls the
// viewer missed — and calls nobody answered — are highlighted, with the word as well as the colour.
//
// It is read once the board is up, and again shortly after a call the viewer sees ends (a person's calls
// shrink in the board's deltas). The row is written when the call ends, so the panel waits a moment before
// asking, and asks at most every few seconds however many calls end. A call that began and ended between
// two of the board's updates shrinks nothing: for those, the panel is also read once a minute while the page
// is in view.

import type { SeenHistoryParty, SeenHistoryRow } from "../../../src/domain/call-history.js";
import type { BoardView } from "../../../src/domain/visibility.js";
import { api, byId, element } from "../session.js";
import { nameOf, state } from "./state.js";
import { language, type StringKey, t } from "./strings.js";
import { partyText } from "./tiles.js";

/** How many rows the panel shows. */
export const RECENT_ROWS = 20;
/** After a call ends, before asking (the row is being written). */
const SETTLE_MS = 800;
/** At most one request per this long. */
const MIN_GAP_MS = 3000;
/** The slow read for calls the board never showed. */
const POLL_MS = 60_000;

let rows: SeenHistoryRow[] | undefined;
let failed = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let lastAsked = 0;

/** `0:42`, `12:05`, `1:02:09`. */
function talkTime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

function when(at: number): string {
  const d = new Date(at);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${d.toLocaleDateString(language())} ${time}`;
}

type Outcome = "missed" | "busy" | "notAnswered" | "answered" | "answeredElsewhere" | "abandoned";

/** What became of the call, for this viewer: theirs, else the colleague's it is shown as, else the call's. */
function outcomeOf(row: SeenHistoryRow, viewer: string): { outcome: Outcome; highlight: boolean } {
  const me = row.parties?.find((p) => p.user === viewer);
  const mine:
    | Pick<SeenHistoryParty, "caller" | "talked" | "missed" | "busy" | "answeredElsewhere">
    | undefined = me ?? row.person;
  if (mine?.missed) return { outcome: "missed", highlight: true };
  if (mine?.answeredElsewhere) return { outcome: "answeredElsewhere", highlight: false };
  if (mine?.busy && !row.answered) return { outcome: "busy", highlight: false };
  // A queue call nobody took: the caller gave up waiting; the queue's, not an agent's missed call.
  if (!row.answered && row.queue !== undefined && !me?.caller)
    return { outcome: "abandoned", highlight: false };
  if (!row.answered) {
    // Nobody answered: a missed call, but for whoever made it.
    if (me?.caller) return { outcome: "notAnswered", highlight: false };
    return { outcome: "missed", highlight: true };
  }
  return { outcome: "answered", highlight: false };
}

function others(row: SeenHistoryRow, viewer: string): string {
  // Without details: whose call it was, nothing about whom it was with.
  if (row.person) return nameOf(row.person.user);
  const parties = (row.parties ?? []).filter((p) => p.user !== viewer);
  const direction = row.direction ? `${t(`direction.${row.direction}` as StringKey)} · ` : "";
  return `${direction}${parties.map(partyText).join(", ") || "…"}`;
}

function rowElement(row: SeenHistoryRow, viewer: string): HTMLLIElement {
  const { outcome, highlight } = outcomeOf(row, viewer);
  const li = element("li", undefined, `recent-row recent-${outcome}${highlight ? " missed" : ""}`);
  if (row.call) li.dataset.call = row.call;
  if (row.parties?.some((p) => p.user === viewer)) li.classList.add("mine");
  const time = element("time", when(row.startedAt), "recent-time");
  time.dateTime = new Date(row.startedAt).toISOString();
  li.append(time, element("span", others(row, viewer), "recent-who"));
  const said =
    outcome === "answered" ? t("recent.talked", { duration: talkTime(row.talkMs) }) : t(`recent.${outcome}`);
  li.append(element("span", said, "recent-outcome"));
  const notes: string[] = [];
  for (const p of row.pickups ?? []) notes.push(t("recent.pickedUp", { who: partyText(p.by) }));
  for (const x of row.transfers ?? [])
    notes.push(t("recent.transferred", { who: x.to ? partyText(x.to) : t("call.unknown") }));
  if (notes.length > 0) li.append(element("span", notes.join(" · "), "recent-notes"));
  if (row.recorded) li.append(element("span", t("call.rec"), "rec"));
  return li;
}

/** Draws the panel from what was last read (again after a language change). */
export function renderRecent(): void {
  const viewer = state.view?.viewer;
  if (rows === undefined || viewer === undefined) return;
  byId("recent-section").hidden = false;
  byId("recent").replaceChildren(...rows.map((r) => rowElement(r, viewer)));
  const none = byId("recent-none");
  none.hidden = rows.length > 0 && !failed;
  none.textContent = failed ? t("recent.failed") : t("recent.none");
}

async function load(): Promise<void> {
  lastAsked = Date.now();
  const answer = await api<{ history: SeenHistoryRow[] }>(
    state.token,
    "GET",
    `/v1/history?limit=${RECENT_ROWS}`,
  ).catch(() => undefined);
  if (answer?.ok && "history" in answer.body) {
    rows = answer.body.history;
    failed = false;
  } else {
    rows ??= [];
    failed = true;
  }
  renderRecent();
}

/** Reads the panel again soon (once, however often this is called meanwhile). */
export function refreshRecent(delayMs = SETTLE_MS): void {
  if (timer !== undefined) return;
  const wait = Math.max(delayMs, lastAsked + MIN_GAP_MS - Date.now());
  timer = setTimeout(() => {
    timer = undefined;
    void load();
  }, wait);
}

function callCounts(view: BoardView): Map<string, number> {
  return new Map(view.people.map((p) => [p.id, p.calls?.length ?? 0]));
}

let polling = false;

/** The board changed: when a call someone on it had is gone (it ended), the panel is read again. */
export function recentBoardChanged(before: BoardView | undefined, next: BoardView): void {
  if (before === undefined) {
    // The first view: read it now, and once a minute from now on.
    refreshRecent(0);
    if (!polling) {
      polling = true;
      setInterval(() => {
        if (document.visibilityState === "visible") refreshRecent(0);
      }, POLL_MS);
    }
    return;
  }
  const had = callCounts(before);
  for (const p of next.people) {
    if ((p.calls?.length ?? 0) < (had.get(p.id) ?? 0)) {
      refreshRecent();
      return;
    }
  }
}
