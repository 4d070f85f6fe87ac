// Every Redis key and channel Callsight uses, in one place: one function per key family, each taking the
// key prefix (`CALLSIGHT_REDIS_PREFIX`, default `callsight:`) and returning the family's keys. Nothing
// else builds a key. The names are those deployments already hold: changing a string here moves or
// orphans live data (test/redis-keys.test.ts checks a running server writes nothing outside these).

/** The prefix when none is configured. */
export const DEFAULT_PREFIX = "callsight:";

/** The directory (JSON, optimistic version) and the channel that announces a new version. */
export function directoryKeys(prefix: string) {
  return {
    /** String: the StoredDirectory as JSON. */
    directory: `${prefix}directory`,
    /** Channel: the new version number. */
    changed: `${prefix}directory:changed`,
  };
}

/** Authentication: tokens, their last use, revocations and the failed-authentication counters. */
export function authKeys(prefix: string) {
  return {
    /** Hash: SHA-256 of a token -> its TokenRecord as JSON. */
    tokens: `${prefix}tokens`,
    /** Hash: token id -> ms of its last use (written at most once a minute per token and instance). */
    lastUsed: `${prefix}tokens:last-used`,
    /** Channel: a Revocation as JSON. */
    revoked: `${prefix}tokens:revoked`,
    /** Key prefix of the failed-authentication counters, one per client address (@fastify/rate-limit). */
    failures: `${prefix}auth:failures:`,
  };
}

/** The audit log. */
export function auditKeys(prefix: string) {
  return {
    /** Stream: one entry per operation attempt or settings change, never edited. */
    log: `${prefix}audit`,
  };
}

/** Who owns a PBX connection (pbx-lease.ts). */
export function leaseKeys(prefix: string, pbx: string) {
  const lease = `${prefix}lease:${pbx}`;
  return {
    /** String with a TTL: `<token>|<instance>` of the holder. */
    lease,
    /** Counter: the last fencing token handed out. */
    token: `${lease}:token`,
  };
}

/** A PBX's normalized events, shared through a stream (event-stream.ts). */
export function eventKeys(prefix: string, pbx: string) {
  const stream = `${prefix}events:${pbx}`;
  return {
    /** Stream: one entry per batch (`events`, `token`). */
    stream,
    /** Hash: `token` (newest fencing token), `snapshot` (id of the newest entry with a snapshot). */
    meta: `${stream}:meta`,
  };
}

/** Commands relayed to a PBX's owner (command-relay.ts). */
export function commandKeys(prefix: string, pbx: string) {
  const stream = `${prefix}commands:${pbx}`;
  return {
    /** Stream (with a consumer group): the requests. */
    stream,
    /** List: the outcome of one request, pushed by the owner (a relay answering per request). */
    reply: (id: string) => `${stream}:reply:${id}`,
    /** List: the answers to one instance's requests (a relay answering per instance; ids hold `:`). */
    replies: (instance: string) => `${stream}:replies:${instance}`,
    /** String: who decided a request's fate (`taken`, `stale`, `abandoned`). */
    state: (id: string) => `${stream}:state:${id}`,
  };
}

/** The index of stored recordings (recording-index.ts) and the recording pipeline's own markers. */
export function recordingKeys(prefix: string) {
  const base = `${prefix}recordings:`;
  return {
    /** Hash: the metadata (JSON) of one recording. */
    recording: (id: string) => `${base}rec:${id}`,
    /** Sorted set of ids by start time. */
    byDate: `${base}by-date`,
    /** Sorted set of ids by start time, per user concerned. */
    byUser: (user: string) => `${base}by-user:${user}`,
    /** Sorted set of ids by start time, per call id. */
    byCall: (call: string) => `${base}by-call:${call}`,
    /** Hash of counters (indexed, retentionDeleted). */
    stats: `${base}stats`,
    /** String with a TTL: the first report of a stopped recording's finalize job. */
    enqueued: (jobId: string) => `${base}enqueued:${jobId}`,
    /** Channel: on-demand recording marks, as JSON. */
    onDemand: `${base}on-demand`,
    /** Hash: `<pbx>\0<callId>` -> the user who started an on-demand recording. */
    onDemandMarks: `${base}on-demand-marks`,
    /** String with a TTL: a link to play or download one recording, by the SHA-256 of its grant (api/recordings/audio.ts). */
    grant: (hash: string) => `${base}grant:${hash}`,
  };
}

/** The call history (history-store.ts): one row per ended call, indexed by start time and per user. */
export function historyKeys(prefix: string) {
  const base = `${prefix}history:`;
  return {
    /** String (JSON, expires after the retention): the row of one call; `row` is `<pbx>:<call id>`. */
    row: (row: string) => `${base}call:${row}`,
    /** Sorted set of row ids by the call's start time. */
    byDate: `${base}by-date`,
    /** Sorted set of row ids by start time, per user who was a party of the call. */
    byUser: (user: string) => `${base}by-user:${user}`,
  };
}

/** Users' chosen statuses with an end time (api/status/until-store.ts). */
export function statusKeys(prefix: string) {
  const base = `${prefix}status:`;
  return {
    /** Hash: user id -> the status set with an end time, as JSON (UntilEntry). */
    until: `${base}until`,
    /** Sorted set of user ids by when their status is due to go back to available (ms; moved on while one instance carries it out). */
    due: `${base}due`,
    /** Channel: the id of a user whose end time was set, cleared or carried out. */
    changed: `${base}changed`,
  };
}

/** The queue pauses the DND link made (runtime/queue-presence-link.ts). */
export function queueLinkKeys(prefix: string) {
  return {
    /** Set of `<pbx>\u0000<queue>\u0000<member>`: paused by the link, not yet seen unpaused. */
    paused: `${prefix}queue-link:paused`,
  };
}

/** The BullMQ queue of recording jobs: BullMQ builds its keys as `<bullPrefix>:<queue>:<...>`. */
export function bullKeys(prefix: string) {
  return {
    /** BullMQ's `prefix` option: `callsight:` -> `callsight:bull`. */
    prefix: `${prefix}bull`,
    /** The queue's name. */
    queue: "callsight-recordings",
  };
}

/** A KEYS/SCAN pattern matching everything under a prefix. */
export function allKeys(prefix: string): string {
  return `${prefix}*`;
}

/**
 * Every key family as patterns of the keys (and channels) it holds: `*` stands for a name part without
 * `:` (a pbx, a user, an id), `**` for anything (a client address, BullMQ's own keys). Every key Callsight
 * writes under the prefix matches one of these.
 */
export function keyFamilies(prefix: string): Record<string, readonly string[]> {
  const any = "*";
  const d = directoryKeys(prefix);
  const a = authKeys(prefix);
  const l = leaseKeys(prefix, any);
  const e = eventKeys(prefix, any);
  const c = commandKeys(prefix, any);
  const r = recordingKeys(prefix);
  const b = bullKeys(prefix);
  const st = statusKeys(prefix);
  const h = historyKeys(prefix);
  const ql = queueLinkKeys(prefix);
  return {
    directory: [d.directory, d.changed],
    auth: [a.tokens, a.lastUsed, a.revoked, `${a.failures}**`],
    audit: [auditKeys(prefix).log],
    lease: [l.lease, l.token],
    events: [e.stream, e.meta],
    commands: [c.stream, c.reply(any), c.replies("**"), c.state(any)],
    recordings: [
      r.recording(any),
      r.byDate,
      r.byUser(any),
      r.byCall(any),
      r.stats,
      r.enqueued(any),
      r.onDemand,
      r.onDemandMarks,
      r.grant(any),
    ],
    status: [st.until, st.due, st.changed],
    bull: [`${b.prefix}:${b.queue}:**`],
    history: [h.row(`${any}:**`), h.byDate, h.byUser(any)],
    queueLink: [ql.paused],
  };
}
