// The live department board. It renders exactly what the server sends for this viewer: the server
// applies the visibility rules, so nothing forbidden ever reaches this page.

const state = { view: null, session: null, seq: 0, token: null, socket: null, retry: 500 };
const $ = (id) => document.getElementById(id);

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

function since(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}`;
}

function partyText(p) {
  if (p.user) return p.user;
  return p.name ? `${p.name} ${p.number}` : p.number || "unknown";
}

async function operate(operation, body) {
  const res = await fetch(`/v1/operations/${operation}`, {
    method: "POST",
    headers: { authorization: `Bearer ${state.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const out = await res.json().catch(() => ({}));
  $("message").textContent = `${operation}: ${out.status ?? res.status}${out.message ? ` — ${out.message}` : ""}`;
}

function render() {
  const view = state.view;
  if (!view) return;
  const me = view.people.find((p) => p.id === view.viewer);
  $("who").textContent = me ? `${me.name} (${me.extension})` : view.viewer;
  const people = $("people");
  people.replaceChildren();
  for (const p of [...view.people].sort((a, b) => a.name.localeCompare(b.name))) {
    const card = document.createElement("div");
    card.className = `person p-${p.presence}`;
    card.dataset.user = p.id;
    card.append(text("div", p.name, "name"), text("div", `${p.extension} · ${p.departments.join(", ")}`, "ext"));
    card.append(text("div", p.presence, "presence"));
    for (const c of p.calls ?? []) {
      const line = c.remote
        ? `${c.direction} · ${c.remote.map(partyText).join(", ")} · ${c.state} ${since(c.since)}`
        : `on a call · ${c.state} ${since(c.since)}`;
      const row = text("div", line, "call");
      if (p.id !== view.viewer) {
        if (c.state === "ringing") row.append(button("Pick up", () => operate("pickup", { target: p.id })));
        if (c.state === "up") {
          for (const mode of ["listen", "whisper", "barge"]) {
            row.append(button(mode[0].toUpperCase() + mode.slice(1), () => operate(mode, { target: p.id })));
          }
        }
      }
      if (c.state === "up") row.append(button("To IVR", () => operate("send-to-ivr", { target: p.id })));
      card.append(row);
    }
    people.append(card);
  }
  $("monitoring-section").hidden = view.monitoring.length === 0;
  $("monitoring").replaceChildren(
    ...view.monitoring.map((m) => text("div", `${m.by ?? "?"} ${m.mode} on ${m.target ?? "?"} · ${since(m.startedAt)}`)),
  );
  $("parked-section").hidden = view.parked.length === 0;
  $("parked").replaceChildren(
    ...view.parked.map((pc) => {
      const row = text("div", `${pc.lot}/${pc.space} · ${pc.party ? partyText(pc.party) : "parked call"} · ${since(pc.since)} `);
      row.append(button("Pick up", () => operate("parked-pickup", { call: pc.call })));
      return row;
    }),
  );
}

function button(label, onClick) {
  const b = text("button", label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function applyDeltas(deltas) {
  const people = new Map(state.view.people.map((p) => [p.id, p]));
  for (const d of deltas) {
    if (d.op === "person") people.set(d.person.id, d.person);
    else if (d.op === "person-removed") people.delete(d.id);
    else if (d.op === "monitoring") state.view.monitoring = d.monitoring;
    else if (d.op === "parked") state.view.parked = d.parked;
  }
  state.view.people = [...people.values()];
}

function connect() {
  const q = new URLSearchParams({ access_token: state.token });
  if (state.session) {
    q.set("session", state.session);
    q.set("seq", String(state.seq));
  }
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream?${q}`);
  state.socket = ws;
  ws.onopen = () => {
    $("status").textContent = "live";
    state.retry = 500;
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "snapshot") {
      state.view = msg.view;
      state.session = msg.session;
      state.seq = msg.seq;
    } else if (msg.type === "delta") {
      applyDeltas(msg.deltas);
      state.seq = msg.seq;
    } else return;
    render();
  };
  ws.onclose = (ev) => {
    $("status").textContent = ev.code === 1008 || ev.code === 4401 ? "token refused" : "reconnecting…";
    if (ev.code === 4401) return;
    setTimeout(connect, state.retry);
    state.retry = Math.min(state.retry * 2, 10000);
  };
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("callsight-token", state.token);
  $("login").hidden = true;
  connect();
});

const saved = sessionStorage.getItem("callsight-token") || new URLSearchParams(location.hash.slice(1)).get("token");
if (saved) {
  state.token = saved;
  $("login").hidden = true;
  connect();
}
setInterval(render, 1000);
