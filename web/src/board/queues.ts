// The queue panels: for each queue the viewer's departments own, who waits (in order, for how long, and who
// they are only when the server sent it: rule Q), the agents and their state, the members the viewer may
// only count, and the day's figures. The server decides what each viewer gets; this draws it. A panel is
// drawn again only when the queues, the names it uses or the language changed; waiting times tick in place
// with the board's clock.

import type {
  BoardView,
  QueueAgentView,
  QueueCallerView,
  QueueView,
} from "../../../src/domain/board-view.js";
import { api, button, byId, element } from "../session.js";
import { nameOf, since, sinceSpan, state } from "./state.js";
import { language, t } from "./strings.js";
import { departmentName, partyText } from "./tiles.js";

type AgentState = "loggedOut" | "onQueueCall" | "paused" | "available";

function agentState(a: QueueAgentView): AgentState {
  if (!a.loggedIn) return "loggedOut";
  if (a.onQueueCall) return "onQueueCall";
  return a.paused ? "paused" : "available";
}

function agentName(a: QueueAgentView): string {
  if (a.user !== undefined) return nameOf(a.user);
  return a.name ?? t("queues.anAgent");
}

function clock(at: number): string {
  return new Date(at).toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
}

/** The words for an agent's state: paused with its reason and since when (an agent may be on a call and paused). */
function stateText(a: QueueAgentView, state: AgentState): HTMLElement {
  const out = element("span", undefined, "agent-state");
  const words: string[] = [];
  if (state === "onQueueCall") words.push(t("queues.onQueueCall"));
  if (a.loggedIn && a.paused)
    words.push(a.pauseReason ? t("queues.pausedFor", { reason: a.pauseReason }) : t("queues.paused"));
  else if (state === "available") words.push(t("queues.available"));
  else if (state === "loggedOut") words.push(t("queues.loggedOut"));
  out.append(words.join(" · "));
  if (a.loggedIn && a.paused && a.pausedSince !== undefined) {
    const time = element("time", t("queues.pausedSince", { time: clock(a.pausedSince) }), "agent-since");
    time.dateTime = new Date(a.pausedSince).toISOString();
    out.append(" · ", time);
  }
  return out;
}

/**
 * Changes a member (PUT /v1/queues/{queue}/agents/{user}) and says on the page what became of it; the panel
 * itself changes only when the PBX reports the change back.
 */
async function changeMember(q: QueueView, user: string, body: Record<string, unknown>): Promise<void> {
  const who = user === state.view?.viewer ? "me" : encodeURIComponent(user);
  const pbx =
    new Set((state.view?.queues ?? []).filter((o) => o.queue === q.queue).map((o) => o.pbx)).size > 1;
  const path = `/v1/queues/${encodeURIComponent(q.queue)}/agents/${who}${pbx ? `?pbx=${encodeURIComponent(q.pbx)}` : ""}`;
  const answer = await api<{ status?: string; message?: string }>(state.token, "PUT", path, body);
  byId("message").textContent = answer.ok
    ? t("queues.changeSent")
    : t("queues.changeRefused", { message: answer.body.message ?? String(answer.status) });
}

/** The buttons on a member the viewer may change (rule OQ, the server's `mayChange`). */
function memberControls(q: QueueView, a: QueueAgentView): HTMLElement | undefined {
  const user = a.user;
  if (!a.mayChange || user === undefined) return undefined;
  const box = element("span", undefined, "agent-controls");
  if (!a.loggedIn) {
    box.append(button(t("queues.logIn"), () => void changeMember(q, user, { loggedIn: true })));
    return box;
  }
  if (a.paused) box.append(button(t("queues.resume"), () => void changeMember(q, user, { paused: false })));
  else {
    const reason = element("input", undefined, "pause-reason");
    reason.type = "text";
    reason.maxLength = 64;
    reason.placeholder = t("queues.reason");
    reason.setAttribute("aria-label", t("queues.reasonFor", { name: agentName(a) }));
    box.append(
      reason,
      button(t("queues.pause"), () => {
        const why = reason.value.trim();
        void changeMember(q, user, { paused: true, ...(why ? { reason: why } : {}) });
      }),
    );
  }
  box.append(button(t("queues.logOut"), () => void changeMember(q, user, { loggedIn: false })));
  return box;
}

function agentItem(q: QueueView, a: QueueAgentView): HTMLLIElement {
  const current = agentState(a);
  const li = element("li", undefined, `queue-agent agent-${current}`);
  if (a.user !== undefined) li.dataset.agent = a.user;
  li.append(element("span", agentName(a), "agent-name"), " ", stateText(a, current));
  const controls = memberControls(q, a);
  if (controls) li.append(" ", controls);
  return li;
}

function callerItem(c: QueueCallerView): HTMLLIElement {
  const li = element("li", undefined, "queue-caller");
  if (c.position !== undefined) {
    li.dataset.position = String(c.position);
    li.append(element("span", t("queues.position", { position: c.position }), "queue-position"), " ");
  }
  const who = c.caller ? partyText(c.caller) : t("queues.aCaller");
  li.append(element("span", who, c.caller ? "queue-who" : "queue-who anonymous"), " ");
  const wait = element("span", `${t("queues.waitingFor")} `, "queue-wait");
  wait.append(sinceSpan(c.since));
  li.append(wait);
  return li;
}

/** A titled part of a panel: an h4 and what follows it. */
function part(className: string, title: string, ...content: HTMLElement[]): HTMLElement {
  const div = element("div", undefined, className);
  div.append(element("h4", title), ...content);
  return div;
}

function waitingPart(q: QueueView): HTMLElement {
  if (q.waiting.length === 0)
    return part("queue-waiting", t("queues.waiting"), element("p", t("queues.nobodyWaiting"), "none"));
  const list = element("ol", undefined, "queue-callers");
  list.append(...q.waiting.map(callerItem));
  return part("queue-waiting", t("queues.waiting"), list);
}

function agentsPart(q: QueueView): HTMLElement {
  const content: HTMLElement[] = [];
  if (q.agents.length > 0) {
    const list = element("ul", undefined, "queue-agents-list");
    list.append(...q.agents.map((a) => agentItem(q, a)));
    content.push(list);
  }
  const { loggedIn, paused } = q.otherAgents;
  if (loggedIn > 0 || paused > 0)
    content.push(element("p", t("queues.others", { loggedIn, paused }), "queue-others"));
  if (content.length === 0) content.push(element("p", t("queues.noAgents"), "none"));
  const me = state.view?.viewer;
  if (q.mayLogIn && me !== undefined)
    content.push(button(t("queues.logMeIn"), () => void changeMember(q, me, { loggedIn: true })));
  return part("queue-agents", t("queues.agents"), ...content);
}

function todayPart(q: QueueView): HTMLElement {
  const figures = element("dl", undefined, "queue-figures");
  const figure = (label: string, value: string, className: string) => {
    const row = element("div", undefined, className);
    row.append(element("dt", label), element("dd", value));
    figures.append(row);
  };
  figure(t("queues.answered"), String(q.today.answered), "queue-answered");
  figure(t("queues.abandoned"), String(q.today.abandoned), "queue-abandoned");
  // The longest wait as the board writes every duration (`42s`, `3m05`).
  figure(t("queues.longestWait"), since(0, q.today.longestWaitMs), "queue-longest");
  return part("queue-today", t("queues.today"), figures);
}

function panel(view: BoardView, q: QueueView, index: number, severalPbx: boolean): HTMLElement {
  const section = element("section", undefined, "queue-panel");
  section.dataset.department = q.department;
  section.dataset.pbx = q.pbx;
  section.dataset.queue = q.queue;
  const id = `queue-${index}`;
  section.setAttribute("aria-labelledby", id);
  const vars = { department: departmentName(view, q.department), queue: q.queue, pbx: q.pbx };
  const title = element("h3", severalPbx ? t("queues.panelOnPbx", vars) : t("queues.panel", vars));
  title.id = id;
  title.append(" ", element("span", t("queues.waitingCount", { count: q.waiting.length }), "count"));
  if (q.waiting.length > 0) section.classList.add("has-waiting");
  section.append(title, waitingPart(q), agentsPart(q), todayPart(q));
  return section;
}

let drawn:
  | { queues: QueueView[]; departments: BoardView["departments"]; names: string; language: string }
  | undefined;

export function renderQueues(view: BoardView): void {
  const queues = view.queues ?? [];
  // The agents' names come from the people on the board: a renamed person redraws the panels, nothing else does.
  const names = queues
    .flatMap((q) => q.agents.flatMap((a) => (a.user ? [nameOf(a.user)] : [])))
    .join("\u0000");
  if (
    drawn?.queues === queues &&
    drawn.departments === view.departments &&
    drawn.names === names &&
    drawn.language === language()
  )
    return;
  drawn = { queues, departments: view.departments, names, language: language() };
  byId("queues-section").hidden = queues.length === 0;
  const severalPbx = new Set(queues.map((q) => q.pbx)).size > 1;
  byId("queues").replaceChildren(...queues.map((q, i) => panel(view, q, i, severalPbx)));
}
