// A person's tile: name, extension, departments, presence, and each call the viewer may see with the
// buttons the viewer's rights allow (from the operation table: the browser defines no operation of its own).

import { OPERATION_TABLE, type OperationEntry } from "../../../src/domain/operation-table.js";
import type { BoardView, PersonCallView, PersonView, SeenParty } from "../../../src/domain/visibility.js";
import { api, button, byId, element } from "../session.js";
import { nameOf, sinceSpan, state } from "./state.js";
import { presenceText, type StringKey, t } from "./strings.js";

export function partyText(p: SeenParty): string {
  if (p.user) return nameOf(p.user);
  // A colleague who does not let others see whom they talk to: the server sends nothing that identifies them.
  if (p.number === undefined && !p.external) return t("call.colleague");
  return p.name ? `${p.name} ${p.number}` : p.number || t("call.unknown");
}

/**
 * What became of the operations this viewer asked for, by operation id: the stream can bring an outcome
 * before the 202 that announced it, which must then not overwrite it.
 */
const outcomes = new Map<string, string>();

export function operationOutcome(operation: string, text: string): void {
  outcomes.set(operation, text);
  byId("message").textContent = text;
}

/** Asks for an operation and says on the page what became of it; true when the PBX took it (202). */
export async function operate(operation: string, body: Record<string, string>): Promise<boolean> {
  const answer = await api<{ status?: string; message?: string; operation?: string }>(
    state.token,
    "POST",
    `/v1/operations/${operation}`,
    body,
  );
  const out = answer.body;
  const id = "operation" in out ? out.operation : undefined;
  const known = id ? outcomes.get(id) : undefined;
  const status = `${out.status ?? answer.status}${out.message ? ` — ${out.message}` : ""}`;
  byId("message").textContent = known ?? t("operation.sent", { operation, status });
  return answer.ok;
}

/** The operation table's buttons, in its order. */
export const BUTTONS = OPERATION_TABLE.flatMap((entry) =>
  entry.button ? [{ entry, button: entry.button }] : [],
);

export function opButton(
  entry: OperationEntry,
  body: Record<string, string>,
  title: string | undefined,
): HTMLButtonElement {
  return button(entry.button!.label, () => void operate(entry.path, body), title);
}

/** The buttons this viewer gets on one of a person's calls. */
function callButtons(view: BoardView, person: PersonView, call: PersonCallView): HTMLButtonElement[] {
  const mine = person.id === view.viewer;
  const talking = call.state === "up" || call.state === "held";
  const who = `${person.name}'s call`;
  const out: HTMLButtonElement[] = [];
  for (const { entry, button: b } of BUTTONS) {
    if (b.on === "parked" || b.on === "person") continue;
    if (b.on === "ringing" ? call.state !== "ringing" : !talking) continue;
    if ((b.whose === "mine" && !mine) || (b.whose === "others" && mine)) continue;
    if (!view.may[b.may] && !(mine && b.mineFree)) continue;
    if (b.recording !== undefined && b.recording !== (call.recording === true)) continue;
    if (b.sends === "call" && !call.call) continue;
    const body: Record<string, string> =
      b.sends === "call" ? { call: call.call ?? "" } : { target: person.id };
    out.push(opButton(entry, body, b.title?.replace("{who}", who)));
  }
  return out;
}

/** The buttons on a person's tile itself, whatever they are doing (click-to-call on colleagues). */
function personButtons(view: BoardView, person: PersonView): HTMLButtonElement[] {
  const mine = person.id === view.viewer;
  const out: HTMLButtonElement[] = [];
  for (const { entry, button: b } of BUTTONS) {
    if (b.on !== "person") continue;
    if ((b.whose === "mine" && !mine) || (b.whose === "others" && mine)) continue;
    if (!view.may[b.may] && !(mine && b.mineFree)) continue;
    const body: Record<string, string> = b.sends === "to" ? { to: person.id } : { target: person.id };
    out.push(opButton(entry, body, b.title?.replace("{name}", person.name)));
  }
  return out;
}

/** The names of the departments the view names, by id (an id the view does not name stays an id). */
export function departmentName(view: BoardView, id: string): string {
  return view.departments.find((d) => d.id === id)?.name ?? id;
}

function callLine(view: BoardView, person: PersonView, c: PersonCallView): HTMLElement {
  const state = t(`callState.${c.state}` as StringKey);
  // Details (rule 3); or, on a ringing call the viewer may pick up, only who calls (rule P); or nothing.
  const text = c.remote
    ? `${c.direction ? t(`direction.${c.direction}` as StringKey) : ""} · ${c.remote.map(partyText).join(", ") || "…"} · ${state} `
    : c.callers
      ? `${t("call.from", { caller: c.callers.map(partyText).join(", ") || t("call.unknown") })} · ${state} `
      : `${t("call.onACall")} · ${state} `;
  const row = element("div", text, `call call-${c.state}`);
  row.append(sinceSpan(c.since));
  if (c.recording) row.append(element("span", ` ${t("call.rec")}`, "rec"));
  const actions = callButtons(view, person, c);
  if (actions.length > 0) {
    const bar = element("div", undefined, "actions");
    bar.append(...actions);
    row.append(bar);
  }
  return row;
}

export function personTile(view: BoardView, p: PersonView): HTMLElement {
  const card = element("article", undefined, `person p-${p.presence}`);
  card.dataset.user = p.id;
  if (p.id === view.viewer) card.classList.add("me");
  card.setAttribute("aria-label", `${p.name}, ${presenceText(p.presence)}`);
  const head = element("div", undefined, "head");
  head.append(element("span", p.name, "name"), element("span", p.extension, "ext"));
  card.append(head, element("div", p.departments.map((d) => departmentName(view, d)).join(", "), "deps"));
  card.append(element("div", presenceText(p.presence), "presence"));
  const actions = personButtons(view, p);
  if (actions.length > 0) {
    const bar = element("div", undefined, "actions person-actions");
    bar.append(...actions);
    card.append(bar);
  }
  for (const c of p.calls ?? []) card.append(callLine(view, p, c));
  return card;
}
