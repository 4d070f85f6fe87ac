// The ARI server's REST routes under /ari: the swagger api-docs, asterisk/info, the resync GETs
// (channels, bridges, endpoints, deviceStates) and the operations Callsight calls (originate, snoop,
// continue, record, play, hang up, Stasis bridges, stop a live recording, set a variable). Every
// request is logged; a bad login is 401, an unknown route 404.

import type http from "node:http";
import { formatAriTime } from "../../src/pbx/asterisk-ari/types.js";
import { apiDeclaration, resourceListing } from "../ari-swagger.js";
import { endpointOf } from "../ari-trace.js";
import { type AriCore, liveChannel } from "./core.js";
import { authorized, type Credentials, HttpFailure, reply } from "./http.js";
import { originate } from "./originate.js";
import {
  addChannel,
  continueInDialplan,
  createBridge,
  destroyBridge,
  play,
  record,
  snoop,
  stopRecording,
} from "./stasis.js";
import type { AriServerStats, RequestLog } from "./types.js";

/** What the routes read and record on the server. */
export interface RestHost {
  readonly core: AriCore;
  readonly stats: AriServerStats;
  readonly requestLog: RequestLog[];
  credentials(): Credentials;
  /** Where the api-docs say the API is. */
  baseUrl(): string;
  /** While set, `GET /channels` waits for it (AriServer.holdChannelList). */
  channelListGate(): Promise<void> | undefined;
}

export async function handleRequest(
  host: RestHost,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  if (raw) {
    try {
      body = JSON.parse(raw);
    } catch {
      reply(res, 400, { message: "Invalid JSON body" });
      return;
    }
  }
  host.stats.requests++;
  const query = Object.fromEntries(url.searchParams);
  const method = req.method ?? "GET";
  host.requestLog.push({ method, path: url.pathname, query, ...(body !== undefined ? { body } : {}) });
  if (host.requestLog.length > 2000) host.requestLog.shift();
  if (!authorized(req, url, host.credentials())) {
    host.stats.authFailures++;
    reply(res, 401, { message: "Authentication required" });
    return;
  }
  if (!url.pathname.startsWith("/ari/")) {
    reply(res, 404, { message: "Not found" });
    return;
  }
  const path = url.pathname.slice("/ari".length);
  const parts = path.split("/").slice(1).map(decodeURIComponent);
  if (method === "GET" && path === "/channels") await host.channelListGate();
  try {
    const [status, out] = route(host, method, parts, query, body);
    reply(res, status, out);
  } catch (err) {
    if (err instanceof HttpFailure) reply(res, err.status, { message: err.message });
    else throw err;
  }
}

function route(
  host: RestHost,
  method: string,
  parts: string[],
  q: Record<string, string>,
  body: unknown,
): [number, unknown?] {
  const core = host.core;
  const [resource, id, action, extra] = parts;
  const key = `${method} ${resource}${id !== undefined ? "/:id" : ""}${action !== undefined ? `/${action}` : ""}${extra !== undefined ? "/:x" : ""}`;
  switch (key) {
    case "GET api-docs/:id": {
      const name = (id ?? "").replace(/\.json$/, "");
      const base = host.baseUrl();
      const doc = name === "resources" ? resourceListing(base) : apiDeclaration(name, base);
      if (!doc) throw new HttpFailure(404, "Not found");
      return [200, doc];
    }
    case "GET asterisk/:id":
      if (id === "info")
        return [200, { system: { version: "GIT-master-callsight-sim", entity_id: "02:fc:00:00:00:01" } }];
      throw new HttpFailure(404, "Not found");
    case "POST asterisk/:id":
      if (id === "variable") {
        setGlobalVariable(core, q);
        return [204];
      }
      throw new HttpFailure(404, "Not found");
    case "GET channels":
      return [200, core.state.channelSnapshots()];
    case "GET channels/:id":
      return [200, { ...liveChannel(core, id).ch }];
    case "DELETE channels/:id":
      liveChannel(core, id);
      core.events.hangupNow(id as string, 16, "Normal Clearing");
      return [204];
    case "POST channels":
      return [200, originate(core, q, body)];
    case "POST channels/:id/snoop":
      return [200, snoop(core, id as string, q)];
    case "POST channels/:id/continue":
      continueInDialplan(core, id as string, q);
      return [204];
    case "POST channels/:id/record":
      return [201, record(core, id as string, q)];
    case "POST channels/:id/play":
      return [201, play(core, id as string, q)];
    case "GET bridges":
      return [200, core.state.bridgeSnapshots()];
    case "POST bridges":
      return [200, createBridge(core, q)];
    case "DELETE bridges/:id":
      destroyBridge(core, id as string);
      return [204];
    case "POST bridges/:id/addChannel":
      addChannel(core, id as string, q.channel ?? "");
      return [204];
    case "GET endpoints":
      return [
        200,
        [...core.state.endpointStates].map(([ep, state]) => {
          const [technology, resource] = ep.split("/") as [string, string];
          const channel_ids = [...core.state.channels.values()]
            .filter((c) => endpointOf(c.ch.name) === ep)
            .map((c) => c.ch.id);
          return { technology, resource, state, channel_ids };
        }),
      ];
    case "GET deviceStates":
      // Only the device states ARI itself controls (Stasis:…), as in Asterisk.
      return [
        200,
        [...core.state.devices]
          .filter(([n]) => n.startsWith("Stasis:"))
          .map(([name, state]) => ({ name, state })),
      ];
    case "GET deviceStates/:id":
      return [200, { name: id, state: core.state.devices.get(id as string) ?? "UNKNOWN" }];
    default:
      // POST /recordings/live/{name}/stop
      if (method === "POST" && resource === "recordings" && id === "live" && extra === "stop") {
        stopRecording(core, action as string);
        return [204];
      }
      throw new HttpFailure(404, "Resource not found");
  }
}

/** Asterisk's device state names, as DEVICE_STATE accepts them. */
const DEVICE_STATES = new Set([
  "UNKNOWN",
  "NOT_INUSE",
  "INUSE",
  "BUSY",
  "INVALID",
  "UNAVAILABLE",
  "RINGING",
  "RINGINUSE",
  "ONHOLD",
]);

/**
 * POST /asterisk/variable: a global variable, or a dialplan function when the name ends in `)`. Of those
 * the simulator knows the two a user's status is kept in: DEVICE_STATE(Custom:…) changes the device state
 * (DeviceStateChanged, when it changed); PRESENCE_STATE(CustomPresence:…) is accepted and, as on Asterisk,
 * reported on no ARI event (only the AMI companion sees presence).
 */
function setGlobalVariable(core: AriCore, q: Record<string, string>): void {
  const variable = q.variable ?? "";
  if (!variable) throw new HttpFailure(400, "Variable name is required");
  const device = /^DEVICE_STATE\((Custom:[^)]+)\)$/i.exec(variable);
  if (device) {
    const state = (q.value ?? "").trim().toUpperCase();
    if (!DEVICE_STATES.has(state)) throw new HttpFailure(400, "Failed to set variable");
    const name = device[1] as string;
    if (core.state.devices.get(name) === state) return;
    core.events.emit({
      type: "DeviceStateChanged",
      timestamp: formatAriTime(Date.now()),
      device_state: { name, state },
    });
    return;
  }
  const presence = /^PRESENCE_STATE\(CustomPresence:[^)]+\)$/i.exec(variable);
  if (presence) {
    const state = (q.value ?? "").split(",")[0]?.toLowerCase() ?? "";
    if (!["not_set", "unavailable", "available", "away", "xa", "chat", "dnd"].includes(state))
      throw new HttpFailure(400, "Failed to set variable");
  }
}
