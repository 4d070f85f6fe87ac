// Builds a `pbx.snapshot` from the api replies a resync reads. Pure: no I/O, no state.
//   show channels as json      -> every leg (uuid, name, direction, callstate, call_uuid, application…)
//   show calls as json         -> the A/B pairs of calls (uuid, b_uuid), on top of call_uuid links
//   show registrations as json -> registered phones (reg_user, url `sofia/<profile>/sip:…`, token)
//   valet_info                 -> parked calls (`<lot name=…><extension uuid=…>5901</extension>`)
//   db list/callsight_dnd      -> extensions with DND on (the dialplan's *78 / *79 keep it there)
//   db callsight_status        -> statuses set through Callsight: the chosen presence and its note
//   uuid_buglist <uuid>        -> the recordings running on an answered leg (`session_record` media bugs)
// Replies that are `-ERR …` (a module not loaded) count as empty, and say so in `problems`.

import type { MonitoringMode } from "../../domain/directory.js";
import type { MonitoringStarted, PbxSnapshot, SnapshotLeg } from "../../domain/events.js";
import { EndpointClassifier } from "../endpoints.js";
import {
  bridgeId,
  type ChannelFacts,
  type IdentityRules,
  legIdentity,
  PLUMBING,
  parseChannelName,
} from "./channel-identity.js";
import { parseDndList, type RegistrationEntry, registrationDevice } from "./presence.js";
import { type StoredStatus, snapshotPresence } from "./status-db.js";

export interface EslResyncInput {
  pbx: string;
  /** When the snapshot was taken (ms since epoch). */
  at: number;
  /** The body of `show channels as json`. */
  channels: string;
  /** The body of `show calls as json`. */
  calls?: string;
  /** The body of `show registrations as json`. */
  registrations?: string;
  /** The body of `valet_info`. */
  valet?: string;
  /** The body of `db list/callsight_dnd`. */
  dnd?: string;
  /** The statuses kept in the db (status-db.ts `readStatuses`). */
  statuses?: readonly StoredStatus[];
  /** Channels the list still has that FreeSWITCH no longer does (`uuid_exists` false): not legs. */
  ended?: ReadonlySet<string>;
  /**
   * `uuid_buglist` of each answered leg: the recordings running (the dialplan may have started one while
   * Callsight was away). Without an answer for every answered leg the snapshot does not say.
   */
  mediaBugs?: ReadonlyMap<string, string>;
  /** Eavesdrop mode of spy legs (read from their variables with uuid_getvar). */
  spyModes?: ReadonlyMap<string, MonitoringMode>;
  /** Call ids the previous session used for legs that still exist: a reconnect keeps them. */
  previousCallIds?: ReadonlyMap<string, string>;
  classifier?: EndpointClassifier;
  externalProfiles?: readonly string[];
}

export interface EslResync {
  snapshot: PbxSnapshot;
  /** Eavesdrop sessions running when the snapshot was taken (the snapshot has no place for them). */
  monitoring: MonitoringStarted[];
  /** Outgoing leg -> the leg it was originated for (its call's A-leg). */
  originators: Map<string, string>;
  /** Registered endpoint -> its registrations (Call-ID, contact). */
  registrations: Map<string, RegistrationEntry[]>;
  problems: string[];
}

export type Row = Record<string, string>;

/** `{"row_count":2,"rows":[…]}` (and `{"row_count": 0}` when empty) -> rows. */
export function parseRows(body: string | undefined, what: string, problems: string[]): Row[] {
  if (body === undefined) return [];
  const text = body.trim();
  if (text === "" || text.startsWith("-ERR") || text.startsWith("-USAGE")) {
    if (text) problems.push(`${what}: ${text.split("\n")[0]}`);
    return [];
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    problems.push(`${what}: not JSON (${(err as Error).message})`);
    return [];
  }
  const rows = (value as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [];
  const out: Row[] = [];
  for (const r of rows) {
    if (typeof r !== "object" || r === null) continue;
    const row: Row = {};
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (typeof v === "string") row[k] = v;
      else if (typeof v === "number") row[k] = String(v);
    }
    out.push(row);
  }
  return out;
}

/**
 * `uuid_buglist` XML -> the files its `session_record` bugs write (record_session, uuid_record); undefined
 * when the body is not a bug list (an error).
 */
export function parseBugList(body: string | undefined): string[] | undefined {
  if (body === undefined || !body.includes("<media-bugs")) return undefined;
  const files: string[] = [];
  for (const bug of body.matchAll(/<media-bug>([\s\S]*?)<\/media-bug>/g)) {
    const inner = bug[1] ?? "";
    if (/<function>\s*session_record\s*<\/function>/.test(inner))
      files.push((/<target>([^<]*)<\/target>/.exec(inner)?.[1] ?? "").trim());
  }
  return files;
}

/** `valet_info` XML -> parked legs. */
export function parseValetInfo(
  body: string | undefined,
  problems: string[],
): { leg: string; lot: string; space: string }[] {
  if (body === undefined) return [];
  const text = body.trim();
  if (text.startsWith("-ERR")) {
    problems.push(`valet_info: ${text.split("\n")[0]}`);
    return [];
  }
  const out: { leg: string; lot: string; space: string }[] = [];
  for (const lot of text.matchAll(/<lot\s+name="([^"]*)"\s*>([\s\S]*?)<\/lot>/g)) {
    for (const ext of (lot[2] ?? "").matchAll(/<extension\s+uuid="([^"]+)"\s*>([^<]*)<\/extension>/g)) {
      out.push({ leg: ext[1] as string, lot: lot[1] as string, space: (ext[2] as string).trim() });
    }
  }
  return out;
}

const ANSWERED_STATES = new Set(["ACTIVE", "HELD", "UNHELD"]);

export function buildEslSnapshot(input: EslResyncInput): EslResync {
  const problems: string[] = [];
  const rules: IdentityRules = {
    classifier: input.classifier ?? new EndpointClassifier(),
    externalProfiles: new Set(input.externalProfiles ?? ["external"]),
  };
  const rows = parseRows(input.channels, "show channels", problems);
  const byUuid = new Map<string, Row>();
  const legs = new Map<string, SnapshotLeg>();
  for (const row of rows) {
    const uuid = row.uuid;
    const name = row.name ?? "";
    if (!uuid || legs.has(uuid) || input.ended?.has(uuid) || PLUMBING.has(parseChannelName(name).tech))
      continue;
    const facts: ChannelFacts = { uuid, channel: name, direction: row.direction ?? "" };
    if (row.cid_num) facts.cidNum = row.cid_num;
    if (row.cid_name) facts.cidName = row.cid_name;
    if (row.dest) facts.dest = row.dest;
    if (row.callee_num) facts.calleeNum = row.callee_num;
    const id = legIdentity(facts, rules);
    if (!id) continue;
    const callstate = row.callstate ?? "";
    const leg: SnapshotLeg = {
      leg: uuid,
      callId: input.previousCallIds?.get(uuid) ?? (row.call_uuid || uuid),
      channel: id.channel,
      endpoint: id.endpoint,
      side: id.side,
      number: id.number,
      state: ANSWERED_STATES.has(callstate)
        ? "up"
        : id.outgoing && (callstate === "RINGING" || callstate === "EARLY")
          ? "ringing"
          : "dialing",
      outgoing: id.outgoing,
    };
    if (id.name) leg.name = id.name;
    if (id.dialled) leg.dialled = id.dialled;
    if (callstate === "HELD") leg.held = true;
    const created = epochMs(row.created_epoch);
    if (created !== undefined) leg.createdAt = created;
    legs.set(uuid, leg);
    byUuid.set(uuid, row);
  }

  // A/B pairs: a B-leg's call_uuid names its A-leg (`show calls` is the same join, done by FreeSWITCH).
  const pairs = new Map<string, string>();
  for (const [uuid, row] of byUuid) {
    const a = row.call_uuid;
    if (a && a !== uuid && legs.has(a)) pairs.set(uuid, a);
  }
  for (const row of parseRows(input.calls, "show calls", problems)) {
    const a = row.uuid;
    const b = row.b_uuid;
    if (a && b && a !== b && legs.has(a) && legs.has(b) && !pairs.has(b)) pairs.set(b, a);
  }

  // Without mod_valet_parking's valet_info (not loaded: `-ERR`), the channels running valet_park tell.
  const valetRows = parseValetInfo(input.valet, problems);
  const valetAnswered = input.valet !== undefined && !input.valet.trim().startsWith("-ERR");
  const parkedRows = valetAnswered ? valetRows : parkedFromChannels(byUuid);
  const parked = parkedRows.filter((p) => legs.has(p.leg));
  const parkedLegs = new Set(parked.map((p) => p.leg));

  const originators = new Map<string, string>();
  for (const [b, a] of pairs) {
    const bl = legs.get(b) as SnapshotLeg;
    const al = legs.get(a) as SnapshotLeg;
    const callId = input.previousCallIds?.get(a) ?? input.previousCallIds?.get(b) ?? al.callId;
    al.callId = callId;
    bl.callId = callId;
    if (bl.outgoing) originators.set(b, a);
    // Both answered and linked: FreeSWITCH has them bridged (a parked leg sits alone in valet_park).
    if (al.state === "up" && bl.state === "up" && !parkedLegs.has(a) && !parkedLegs.has(b)) {
      const bridge = bridgeId(a, b);
      al.bridge = bridge;
      bl.bridge = bridge;
    }
  }

  const monitoring: MonitoringStarted[] = [];
  for (const [uuid, row] of byUuid) {
    const app = row.application;
    if (app !== "eavesdrop" && app !== "three_way") continue;
    const target = (row.application_data ?? "").trim();
    if (!legs.has(target) || target === uuid) continue;
    const mode: MonitoringMode = app === "three_way" ? "barge" : (input.spyModes?.get(uuid) ?? "listen");
    monitoring.push({ pbx: input.pbx, at: input.at, type: "monitoring.started", spy: uuid, target, mode });
  }

  const registrations = new Map<string, RegistrationEntry[]>();
  const reachability: PbxSnapshot["reachability"] = [];
  for (const row of parseRows(input.registrations, "show registrations", problems)) {
    const user = row.reg_user;
    if (!user) continue;
    const url = row.url ?? "";
    const profile = url.startsWith("sofia/") ? (url.split("/")[1] ?? "internal") : "internal";
    const endpoint = `sofia/${profile}/${user}`;
    let tokens = registrations.get(endpoint);
    if (!tokens) {
      tokens = [];
      registrations.set(endpoint, tokens);
      reachability.push({ endpoint, reachable: true });
    }
    const device = registrationDevice(url);
    if (row.token) tokens.push(device ? { token: row.token, device } : { token: row.token });
  }

  const recordings = input.mediaBugs && recordingsOf([...legs.values()], input.mediaBugs);
  return {
    snapshot: {
      pbx: input.pbx,
      at: input.at,
      type: "pbx.snapshot",
      legs: [...legs.values()],
      reachability,
      presence: snapshotPresence(input.statuses ?? []),
      dnd: parseDndList(input.dnd, problems).map((extension) => ({ extension, on: true })),
      parked,
      ...(recordings ? { recordings } : {}),
    },
    monitoring,
    originators,
    registrations,
    problems,
  };
}

/** The recordings on the answered legs; undefined when a leg's media bugs are not known. */
function recordingsOf(
  legs: readonly SnapshotLeg[],
  mediaBugs: ReadonlyMap<string, string>,
): { leg: string; file?: string }[] | undefined {
  const out: { leg: string; file?: string }[] = [];
  for (const l of legs) {
    if (l.state !== "up") continue;
    const files = parseBugList(mediaBugs.get(l.leg));
    if (!files) return undefined;
    for (const file of files) out.push(file ? { leg: l.leg, file } : { leg: l.leg });
  }
  return out;
}

/** `created_epoch` (seconds since epoch) -> ms; undefined when missing or 0. */
function epochMs(value: string | undefined): number | undefined {
  const seconds = Number(value ?? "");
  return value && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Without mod_valet_parking's valet_info: the oldest channel running valet_park on a slot is the parked one. */
function parkedFromChannels(rows: ReadonlyMap<string, Row>): { leg: string; lot: string; space: string }[] {
  const bySlot = new Map<string, { leg: string; lot: string; space: string; created: number }>();
  for (const [uuid, row] of rows) {
    if (row.application !== "valet_park") continue;
    const [lot, space] = (row.application_data ?? "").trim().split(/\s+/);
    if (!lot || !space) continue;
    const created = Number(row.created_epoch ?? "0");
    const key = `${lot}/${space}`;
    const current = bySlot.get(key);
    if (!current || created < current.created) bySlot.set(key, { leg: uuid, lot, space, created });
  }
  return [...bySlot.values()].map(({ leg, lot, space }) => ({ leg, lot, space }));
}
