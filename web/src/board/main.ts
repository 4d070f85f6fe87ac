// The live department board. It renders exactly what the server sends for this viewer: the server applies
// the visibility rules, so nothing forbidden ever reaches this page. Buttons follow the viewer's rights
// (`may`) and the state of each call; the server authorizes every operation again when asked.

import type { BoardMessage } from "../../../src/api/board/board-messages.js";
import { applyBoardDeltas } from "../../../src/domain/board-changes.js";
import type { BoardView } from "../../../src/domain/visibility.js";
import { api, byId, element, forgetToken, signIn } from "../session.js";
import { announce, presenceChanges } from "./announce.js";
import { renderDial, wireDial } from "./dial.js";
import { forgetLists, renderLinks, renderMonitoring, renderParked } from "./lists.js";
import { decorateTiles, loadStatuses, renderMyStatus, statusMessage, wireMyStatus } from "./my-status.js";
import { notifyRinging, wireNotifications } from "./notify.js";
import { renderPeople } from "./people.js";
import { renderQueues } from "./queues.js";
import { recentBoardChanged, renderRecent } from "./recent.js";
import { renderRecordings, startRecordings } from "./recordings.js";
import { saveLayout, state, tickSince } from "./state.js";
import { LANGUAGES, type Language, language, setLanguage, t, translatePage } from "./strings.js";
import { operationOutcome } from "./tiles.js";

let scheduled = false;

/** Renders once per animation frame at most, however many messages arrive meanwhile. */
function scheduleRender(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

function render(): void {
  const view = state.view;
  if (!view) return;
  renderLinks(view.links ?? []);
  const me = view.people.find((p) => p.id === view.viewer);
  byId("who").textContent = me ? `${me.name} (${me.extension})` : view.viewer;
  renderPeople(view);
  renderDial(view);
  renderMyStatus(view);
  decorateTiles();
  renderQueues(view);
  renderMonitoring(view);
  renderParked(view);
}

function showView(next: BoardView): void {
  const before = state.view;
  state.view = next;
  announce(presenceChanges(before, next));
  notifyRinging(before, next);
  recentBoardChanged(before, next);
  scheduleRender();
}

function setStatus(
  key: "status.live" | "status.reconnecting" | "status.tokenRefused" | "status.notConnected",
  reason?: string,
): void {
  const status = byId("status");
  status.dataset.i18n = key;
  status.textContent = reason ?? t(key);
}

function connect(): void {
  const q = new URLSearchParams({ access_token: state.token });
  if (state.session) {
    q.set("session", state.session);
    q.set("seq", String(state.seq));
  }
  const ws = new WebSocket(
    `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream?${q}`,
  );
  let opened = false;
  ws.onopen = () => {
    opened = true;
    setStatus("status.live");
    state.retryMs = 500;
    // Status messages sent while this page was away were not received: read them all again.
    void loadStatuses().then(scheduleRender, () => undefined);
  };
  ws.onmessage = (ev: MessageEvent<string>) => {
    const msg = JSON.parse(ev.data) as BoardMessage;
    if (msg.type === "snapshot") {
      state.session = msg.session;
      state.seq = msg.seq;
      showView(msg.view);
    } else if (msg.type === "operation") {
      // What became of an operation this viewer asked for (the 202 only said the PBX took it).
      operationOutcome(
        msg.operation,
        `${msg.action}: ${msg.result}${msg.message ? ` — ${msg.message}` : ""}`,
      );
    } else if (msg.type === "delta" && state.view) {
      state.seq = msg.seq;
      showView(applyBoardDeltas(state.view, msg.deltas));
    } else if (msg.type === "status") {
      // Statuses (note, end time) of people this viewer may see, as their PBX reported them.
      statusMessage(msg);
      scheduleRender();
    }
  };
  const refused = (why: string) => {
    setStatus("status.tokenRefused", why);
    forgetToken();
    byId("login").hidden = false;
  };
  ws.onclose = (ev) => {
    // 4401: the token was revoked or expired, or its user deleted (the reason says which).
    if (ev.code === 1008 || ev.code === 4401) return refused(ev.reason || t("status.tokenRefused"));
    setStatus("status.reconnecting");
    const retry = () => {
      setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 10_000);
    };
    // A refused upgrade only shows as a failed socket: ask the API whether the token still works, rather
    // than retrying with a dead token forever (each try a failed authentication).
    if (opened) return retry();
    void api(state.token, "GET", "/v1/board").then(
      (check) => (check.status === 401 ? refused(t("status.tokenRefused")) : retry()),
      retry,
    );
  };
}

function wireToolbar(): void {
  const search = byId<HTMLInputElement>("search");
  search.addEventListener("input", () => {
    state.search = search.value.trim();
    scheduleRender();
  });
  // "/" jumps to the search box, Escape clears it (as in most web apps people keep open all day).
  document.addEventListener("keydown", (ev) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
    if (ev.key === "/" && !typing) {
      ev.preventDefault();
      search.focus();
    } else if (ev.key === "Escape" && ev.target === search) {
      search.value = "";
      state.search = "";
      scheduleRender();
    }
  });
  const sort = byId<HTMLSelectElement>("sort");
  sort.value = state.sort;
  sort.addEventListener("change", () => {
    state.sort = sort.value === "presence" ? "presence" : "name";
    saveLayout();
    scheduleRender();
  });
  const compact = byId<HTMLInputElement>("compact");
  compact.checked = state.compact;
  compact.addEventListener("change", () => {
    state.compact = compact.checked;
    saveLayout();
    scheduleRender();
  });
  const lang = byId<HTMLSelectElement>("language");
  lang.replaceChildren(
    ...Object.entries(LANGUAGES).map(([code, { name }]) => {
      const option = element("option", name);
      option.value = code;
      return option;
    }),
  );
  lang.value = language();
  lang.addEventListener("change", () => {
    setLanguage(lang.value as Language);
    translatePage();
    forgetLists();
    renderRecent();
    renderRecordings();
    scheduleRender();
  });
  wireNotifications();
}

translatePage();
wireToolbar();
wireMyStatus(scheduleRender);
wireDial();
signIn((token) => {
  state.token = token;
  void (async () => {
    // A refused token gets the sign-in form back instead of a socket that keeps reconnecting.
    const check = await api(token, "GET", "/v1/board");
    if (check.status === 401) {
      setStatus("status.tokenRefused");
      forgetToken();
      byId("login").hidden = false;
      return;
    }
    connect();
    startRecordings();
  })();
});
// Call timers tick without rebuilding anything.
setInterval(() => tickSince(), 1000);
