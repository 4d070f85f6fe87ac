// The PBX connections tab: each PBX, connected or not, since when, the last error, reconnects and frames
// the driver could not use; read from GET /v1/admin/pbx every few seconds while the page is visible. The
// tab's label says how many are down, whichever tab is open.

import { byId, element } from "../session.js";
import { call, duration, emptyRow, row, state, when } from "./common.js";

/** How often the page asks again. */
export const PBX_POLL_MS = 3000;

interface DriverStatus {
  pbx: string;
  driver: string;
  connected: boolean;
  since?: number;
  lastError?: string;
  reconnects: number;
  malformedFrames?: number;
}

interface PbxConnection extends DriverStatus {
  resyncedAt?: number;
  cluster?: { role?: string; owner?: string; problem?: string; isolated?: string };
  companion?: DriverStatus;
}

interface PbxConnections {
  now: number;
  pbx: PbxConnection[];
}

const COLUMNS = 8;
let timer: ReturnType<typeof setInterval> | undefined;
let busy = false;

function stateCell(c: DriverStatus): HTMLElement {
  return element("span", c.connected ? "Connected" : "Not connected", c.connected ? "badge ok" : "badge bad");
}

function sinceText(c: DriverStatus, now: number): string {
  return c.since === undefined ? "" : `${when(c.since)} (${duration(now - c.since)} ago)`;
}

function connectionRow(
  c: DriverStatus,
  name: string,
  now: number,
  extra?: PbxConnection,
): HTMLTableRowElement {
  const stateText = element("div");
  stateText.append(stateCell(c));
  const cluster = extra?.cluster;
  if (cluster?.role) {
    const owner =
      cluster.role === "follower" && cluster.owner ? ` (connection held by ${cluster.owner})` : "";
    stateText.append(element("small", `This server is the ${cluster.role}${owner}.`, "muted block"));
  }
  for (const problem of [cluster?.isolated, cluster?.problem]) {
    if (problem) stateText.append(element("small", problem, "warning block"));
  }
  const tr = row(
    [
      name,
      c.driver,
      stateText,
      sinceText(c, now),
      c.lastError ?? "",
      String(c.reconnects),
      c.malformedFrames === undefined ? "not counted" : String(c.malformedFrames),
      extra ? (extra.resyncedAt !== undefined ? when(extra.resyncedAt) : "not since it connected") : "",
    ],
    c.connected ? "up" : "down",
  );
  tr.dataset.pbx = name;
  tr.dataset.connected = String(c.connected);
  return tr;
}

function render(answer: PbxConnections): void {
  const rows: HTMLTableRowElement[] = [];
  for (const c of answer.pbx) {
    rows.push(connectionRow(c, c.pbx, answer.now, c));
    if (c.companion) rows.push(connectionRow(c.companion, `${c.pbx} (AMI companion)`, answer.now));
  }
  byId("pbx").replaceChildren(...(rows.length ? rows : [emptyRow("No PBX is configured.", COLUMNS)]));
  const down = answer.pbx.filter((c) => !c.connected).length;
  byId("pbx-count").textContent = down ? ` (${down} down)` : "";
  byId("pbx-updated").textContent =
    `Updated ${when(Date.now())}. Refreshes every ${PBX_POLL_MS / 1000} seconds.`;
}

export async function refreshPbx(): Promise<void> {
  if (busy || state.signedOut) return;
  busy = true;
  try {
    const answer = await call<PbxConnections>("GET", "/v1/admin/pbx", undefined, (text) => {
      byId("pbx-updated").textContent = `Not updated: ${text}`;
    });
    if (answer) render(answer);
  } finally {
    busy = false;
  }
}

/** Reads the connections now and then every PBX_POLL_MS while the page is visible (once, however often called). */
export function startPbx(): void {
  void refreshPbx();
  if (timer) return;
  timer = setInterval(() => {
    if (!document.hidden) void refreshPbx();
  }, PBX_POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) void refreshPbx();
  });
}
