// The live department board. It renders exactly what the server sends for this viewer: the server applies
// the visibility rules, so nothing forbidden ever reaches this page. Buttons follow the viewer's rights
// (`may`) and the state of each call; the server authorizes every operation again when asked.

import type { BoardMessage } from "../../src/api/board/board-messages.js";
import { applyBoardDeltas } from "../../src/domain/board-changes.js";
import { OPERATION_TABLE, type OperationEntry } from "../../src/domain/operation-table.js";
import type { PbxLink } from "../../src/domain/pbx-links.js";
import type { BoardView, PersonCallView, PersonView, SeenParty } from "../../src/domain/visibility.js";
import { api, button, byId, element, forgetToken, signIn } from "./session.js";

interface BoardState {
  token: string;
  view?: BoardView;
  session?: string;
  seq: number;
  retryMs: number;
}

const state: BoardState = { token: "", seq: 0, retryMs: 500 };

function since(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}`;
}

function partyText(p: SeenParty): string {
  if (p.user) return nameOf(p.user);
  // A colleague who does not let others see whom they talk to: the server sends nothing that identifies them.
  if (p.number === undefined && !p.external) return "a colleague";
  return p.name ? `${p.name} ${p.number}` : p.number || "unknown";
}

function nameOf(userId: string): string {
  return state.view?.people.find((p) => p.id === userId)?.name ?? userId;
}

/**
 * What became of the operations this viewer asked for, by operation id: the stream can bring an outcome
 * before the 202 that announced it, which must then not overwrite it.
 */
const outcomes = new Map<string, string>();

async function operate(operation: string, body: Record<string, string>): Promise<void> {
  const answer = await api<{ status?: string; message?: string; operation?: string }>(
    state.token,
    "POST",
    `/v1/operations/${operation}`,
    body,
  );
  const out = answer.body;
  const id = "operation" in out ? out.operation : undefined;
  const known = id ? outcomes.get(id) : undefined;
  byId("message").textContent =
    known ?? `${operation}: ${out.status ?? answer.status}${out.message ? ` — ${out.message}` : ""}`;
}

/** The operation table's buttons, in its order (the server's table: the browser defines none of its own). */
const BUTTONS = OPERATION_TABLE.flatMap((entry) => (entry.button ? [{ entry, button: entry.button }] : []));

function opButton(entry: OperationEntry, body: Record<string, string>, title: string | undefined): HTMLButtonElement {
  return button(entry.button!.label, () => void operate(entry.path, body), title);
}

/** The buttons this viewer gets on one of a person's calls. */
function callButtons(view: BoardView, person: PersonView, call: PersonCallView): HTMLButtonElement[] {
  const mine = person.id === view.viewer;
  const talking = call.state === "up" || call.state === "held";
  const who = `${person.name}'s call`;
  const out: HTMLButtonElement[] = [];
  for (const { entry, button: b } of BUTTONS) {
    if (b.on === "parked" || (b.on === "ringing" ? call.state !== "ringing" : !talking)) continue;
    if ((b.whose === "mine" && !mine) || (b.whose === "others" && mine)) continue;
    if (!view.may[b.may] && !(mine && b.mineFree)) continue;
    if (b.recording !== undefined && b.recording !== (call.recording === true)) continue;
    if (b.sends === "call" && !call.call) continue;
    const body: Record<string, string> = b.sends === "call" ? { call: call.call ?? "" } : { target: person.id };
    out.push(opButton(entry, body, b.title?.replace("{who}", who)));
  }
  return out;
}

function personTile(view: BoardView, p: PersonView): HTMLElement {
  const card = element("article", undefined, `person p-${p.presence}`);
  card.dataset.user = p.id;
  card.setAttribute("aria-label", `${p.name}, ${p.presence}`);
  card.append(element("div", p.name, "name"), element("div", `${p.extension} · ${p.departments.join(", ")}`, "ext"));
  card.append(element("div", p.presence, "presence"));
  for (const c of p.calls ?? []) {
    const line = c.remote
      ? `${c.direction} · ${c.remote.map(partyText).join(", ") || "…"} · ${c.state} ${since(c.since)}`
      : `on a call · ${c.state} ${since(c.since)}`;
    const row = element("div", line, "call");
    if (c.recording) row.append(element("span", " ● rec", "rec"));
    const actions = callButtons(view, p, c);
    if (actions.length > 0) {
      const bar = element("div", undefined, "actions");
      bar.append(...actions);
      row.append(bar);
    }
    card.append(row);
  }
  return card;
}

/** What a viewer must know about a PBX link that is not up: the board is not live for it. */
function linkText(link: PbxLink): string | undefined {
  if (link.state === "connecting")
    return `Connecting to PBX ${link.pbx}… Until it answers, its people show offline and their calls are not shown.`;
  if (link.state === "down") {
    const at = link.since === undefined ? "" : ` since ${new Date(link.since).toLocaleTimeString()}`;
    return `The link to PBX ${link.pbx} is down${at}. Its calls and presence shown are the last known and may be stale.`;
  }
  return undefined;
}

/** The banner changes only with the links (an alert that rewrote itself every second would be re-read). */
function renderLinks(links: readonly PbxLink[]): void {
  const banner = byId("links");
  const shown = links.flatMap((link) => {
    const text = linkText(link);
    return text === undefined ? [] : [{ link, text }];
  });
  const key = JSON.stringify(shown.map((s) => [s.link.pbx, s.link.state, s.text]));
  if (banner.dataset.shown === key) return;
  banner.dataset.shown = key;
  banner.replaceChildren(
    ...shown.map(({ link, text }) => {
      const line = element("div", text, `link link-${link.state}`);
      line.dataset.pbx = link.pbx;
      return line;
    }),
  );
  banner.hidden = shown.length === 0;
}

function render(): void {
  const view = state.view;
  if (!view) return;
  renderLinks(view.links ?? []);
  const me = view.people.find((p) => p.id === view.viewer);
  byId("who").textContent = me ? `${me.name} (${me.extension})` : view.viewer;
  const people = [...view.people].sort((a, b) => a.name.localeCompare(b.name));
  byId("people").replaceChildren(...people.map((p) => personTile(view, p)));
  byId("monitoring-section").hidden = view.monitoring.length === 0;
  byId("monitoring").replaceChildren(
    ...view.monitoring.map((m) =>
      element(
        "div",
        `${m.by ? nameOf(m.by) : "?"} ${m.mode} on ${m.target ? nameOf(m.target) : "?"} · ${since(m.startedAt)}`,
      ),
    ),
  );
  byId("parked-section").hidden = view.parked.length === 0;
  byId("parked").replaceChildren(
    ...view.parked.map((pc) => {
      const row = element(
        "div",
        `${pc.lot}/${pc.space} · ${pc.party ? partyText(pc.party) : "parked call"} · ${since(pc.since)} `,
      );
      for (const { entry, button: b } of BUTTONS) {
        if (b.on === "parked" && view.may[b.may]) {
          row.append(opButton(entry, { call: pc.call }, b.title?.replace("{space}", pc.space)));
        }
      }
      return row;
    }),
  );
}

function connect(): void {
  const q = new URLSearchParams({ access_token: state.token });
  if (state.session) {
    q.set("session", state.session);
    q.set("seq", String(state.seq));
  }
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream?${q}`);
  let opened = false;
  ws.onopen = () => {
    opened = true;
    byId("status").textContent = "live";
    state.retryMs = 500;
  };
  ws.onmessage = (ev: MessageEvent<string>) => {
    const msg = JSON.parse(ev.data) as BoardMessage;
    if (msg.type === "snapshot") {
      state.view = msg.view;
      state.session = msg.session;
      state.seq = msg.seq;
    } else if (msg.type === "operation") {
      // What became of an operation this viewer asked for (the 202 only said the PBX took it).
      const text = `${msg.action}: ${msg.result}${msg.message ? ` — ${msg.message}` : ""}`;
      outcomes.set(msg.operation, text);
      byId("message").textContent = text;
      return;
    } else if (msg.type === "delta" && state.view) {
      state.view = applyBoardDeltas(state.view, msg.deltas);
      state.seq = msg.seq;
    } else return;
    render();
  };
  const refused = (why: string) => {
    byId("status").textContent = why;
    forgetToken();
    byId("login").hidden = false;
  };
  ws.onclose = (ev) => {
    // 4401: the token was revoked or expired, or its user deleted (the reason says which).
    if (ev.code === 1008 || ev.code === 4401) return refused(ev.reason || "token refused");
    byId("status").textContent = "reconnecting…";
    const retry = () => {
      setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 10_000);
    };
    // A refused upgrade only shows as a failed socket: ask the API whether the token still works, rather
    // than retrying with a dead token forever (each try a failed authentication).
    if (opened) return retry();
    void api(state.token, "GET", "/v1/board").then(
      (check) => (check.status === 401 ? refused("token refused") : retry()),
      retry,
    );
  };
}

signIn((token) => {
  state.token = token;
  void (async () => {
    // A refused token gets the sign-in form back instead of a socket that keeps reconnecting.
    const check = await api(token, "GET", "/v1/board");
    if (check.status === 401) {
      byId("status").textContent = "token refused";
      forgetToken();
      byId("login").hidden = false;
      return;
    }
    connect();
  })();
});
// Call timers tick without waiting for the next change.
setInterval(render, 1000);
