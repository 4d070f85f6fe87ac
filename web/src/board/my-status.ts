// The viewer's own status (available / away / do not disturb, a note, an end time) and what the board
// shows of everyone's: the control sends it to the server, which writes it to the PBX (PUT /v1/status);
// nothing changes on the page until the PBX reports it back — the person's presence in the stream's
// deltas, and the note and end time in its `status` messages (or GET /v1/status after a (re)connect),
// which the server sends only about people the viewer may see.

import type { StatusView } from "../../../src/api/status/status-view.js";
import type { BoardView } from "../../../src/domain/visibility.js";
import { api, byId, element } from "../session.js";
import { state } from "./state.js";
import { language, type StringKey, t } from "./strings.js";

/** Everyone's status the server told this viewer about, by user id. */
const statuses = new Map<string, StatusView>();
/** The control's fields were changed and not sent yet: updates do not overwrite them. */
let editing = false;

/** Replaces what the board knows (a (re)connect: messages sent meanwhile were not received). */
export async function loadStatuses(): Promise<void> {
  const answer = await api<{ people?: StatusView[] }>(state.token, "GET", "/v1/status");
  if (!answer.ok || !("people" in answer.body) || !answer.body.people) return;
  statuses.clear();
  for (const s of answer.body.people) statuses.set(s.user, s);
}

/** A `status` message of the stream: the people it names changed, or (`full`) this is everyone. */
export function statusMessage(msg: { full?: boolean; people: StatusView[] }): void {
  if (msg.full) statuses.clear();
  for (const s of msg.people) statuses.set(s.user, s);
}

export function statusOf(user: string): StatusView | undefined {
  return statuses.get(user);
}

/** `14:00` today, `Tue 14:00` within a week, else the date and time. */
export function untilText(at: number, now = Date.now()): string {
  const d = new Date(at);
  const lang = language();
  const time = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  if (d.toDateString() === new Date(now).toDateString()) return time;
  if (at - now < 6 * 24 * 3600 * 1000) return `${d.toLocaleDateString(lang, { weekday: "short" })} ${time}`;
  return `${d.toLocaleDateString(lang)} ${time}`;
}

/** The note and end time of a status, as one line (empty when it has neither). */
export function statusLine(s: StatusView | undefined): string {
  if (!s) return "";
  const parts: string[] = [];
  if (s.note) parts.push(s.note);
  if (s.until !== undefined) parts.push(t("myStatus.untilTime", { time: untilText(s.until) }));
  return parts.join(" · ");
}

/** The next moment the clock shows `hh:mm`: later today, else tomorrow. */
export function nextTime(hhmm: string, now = new Date()): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) return undefined;
  const at = new Date(now);
  at.setHours(Number(m[1]), Number(m[2]), 0, 0);
  if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  return at.getTime();
}

/** Wires the control; `changed` re-renders the board. */
export function wireMyStatus(changed: () => void): void {
  const form = byId<HTMLFormElement>("my-status");
  const choice = byId<HTMLSelectElement>("my-status-choice");
  const note = byId<HTMLInputElement>("my-status-note");
  const until = byId<HTMLInputElement>("my-status-until");
  for (const field of [choice, note, until])
    field.addEventListener("input", () => {
      editing = true;
    });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: Record<string, string | number> = { status: choice.value };
    if (note.value.trim()) body.note = note.value.trim();
    if (until.value && choice.value !== "available") {
      const at = nextTime(until.value);
      if (at !== undefined) body.until = at;
    }
    void (async () => {
      const answer = await api<{ status?: string; message?: string }>(state.token, "PUT", "/v1/status", body);
      const out = answer.body;
      const message = byId("message");
      if (answer.status === 202) {
        editing = false;
        until.value = "";
        message.textContent = t("myStatus.sent", { status: t(`myStatus.${choice.value}` as StringKey) });
      } else {
        message.textContent = t("myStatus.failed", { reason: out.message ?? String(answer.status) });
      }
      changed();
    })();
  });
}

/** Shows the control (once the board knows who the viewer is) with their status as the PBX reports it. */
export function renderMyStatus(view: BoardView): void {
  const form = byId<HTMLFormElement>("my-status");
  form.hidden = false;
  const mine = statuses.get(view.viewer);
  const current = byId("my-status-current");
  const text = mine
    ? [t(`myStatus.${mine.status}` as StringKey), statusLine(mine)].filter(Boolean).join(" · ")
    : "";
  if (current.textContent !== text) current.textContent = text;
  current.dataset.status = mine?.status ?? "";
  const focused = form.contains(document.activeElement) && document.activeElement !== byId("my-status-set");
  if (mine && !editing && !focused) {
    byId<HTMLSelectElement>("my-status-choice").value = mine.status;
    byId<HTMLInputElement>("my-status-note").value = mine.note ?? "";
  }
}

/** Adds each shown person's note and end time to their tile (tiles are reused, so this runs each render). */
export function decorateTiles(root: ParentNode = document): void {
  for (const tile of root.querySelectorAll<HTMLElement>("article.person[data-user]")) {
    const text = statusLine(statuses.get(tile.dataset.user ?? ""));
    let line = tile.querySelector<HTMLElement>(":scope > .status-note");
    if (!text) {
      line?.remove();
      continue;
    }
    if (!line) {
      line = element("div", undefined, "status-note");
      const presence = tile.querySelector(":scope > .presence");
      if (presence) presence.after(line);
      else tile.append(line);
    }
    if (line.textContent !== text) line.textContent = text;
  }
}
