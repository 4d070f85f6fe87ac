// The response shapes the OpenAPI document names: recordings, audit entries, PBX connections, history rows,
// audio links, status answers.

import { errors, party } from "./shared.js";

/** A stored recording's metadata (src/recording/recording-store.ts). */
export const recording = {
  type: "object",
  required: ["id", "pbx", "callId", "leg", "direction", "parties", "startedAt", "stoppedAt", "file"],
  properties: {
    id: { type: "string", description: "one recording, one id" },
    pbx: { type: "string" },
    callId: { type: "string" },
    leg: { type: "string", description: "the recorded leg (channel)" },
    extension: { type: "string", description: "the recorded user's extension" },
    direction: { type: "string", enum: ["internal", "inbound", "outbound"] },
    parties: { type: "array", items: party },
    requiredBy: {
      type: "array",
      items: { type: "string" },
      description: "users whose policy required it",
    },
    onDemandBy: { type: "string", description: "who started it on demand" },
    startedAt: { type: "integer", description: "ms since epoch" },
    stoppedAt: { type: "integer", description: "ms since epoch" },
    durationMs: { type: "integer" },
    sizeBytes: { type: "integer" },
    sha256: { type: "string" },
    wav: { type: "object", description: "the audio format" },
    originalPath: { type: "string", description: "where the PBX wrote the file" },
    file: { type: "string", description: "the stored audio, relative to the store root" },
    storedAt: { type: "integer", description: "ms since epoch" },
  },
};

/** A finalize job that used up its attempts (src/recording/recording-queue.ts). */
export const failedRecording = {
  type: "object",
  required: ["id", "recording", "attemptsMade"],
  properties: {
    id: { type: "string" },
    recording: { type: "object", description: "the finalize job: pbx, callId, leg, file, times, parties" },
    failedReason: { type: "string", description: "why the last attempt failed" },
    attemptsMade: { type: "integer" },
    failedAt: { type: "integer", description: "ms since epoch" },
  },
};

/** One audit log entry (src/stores/audit-log.ts). */
export const auditEntry = {
  type: "object",
  required: ["id", "at", "actor", "action", "outcome"],
  properties: {
    id: { type: "string", description: "stream id; its first part is the time in ms" },
    at: { type: "integer", description: "ms since epoch" },
    actor: { type: "string" },
    action: { type: "string" },
    target: { type: "string" },
    outcome: { type: "string", enum: ["allowed", "refused", "failed", "accepted", "changed"] },
    reason: { type: "string" },
    detail: { type: "object" },
  },
};

/** A PBX connection's state (src/api/admin/pbx-status.ts). */
export const pbxConnection = {
  type: "object",
  required: ["pbx", "driver", "connected", "reconnects"],
  properties: {
    pbx: { type: "string" },
    driver: { type: "string" },
    connected: { type: "boolean" },
    since: { type: "integer", description: "ms since epoch: connected (or not) since then" },
    lastError: { type: "string" },
    reconnects: { type: "integer" },
    malformedFrames: { type: "integer", description: "PBX frames skipped as unusable since start" },
    resyncedAt: { type: "integer", description: "ms since epoch: the model last resynced from this PBX" },
    cluster: { type: "object", description: "clustered: this instance's role, and why it applies no events" },
    companion: { type: "object", description: "ARI: the AMI companion link's status" },
  },
};

/** A party of a call in the history, as the viewer sees it, with what became of them (domain/call-history.ts). */
export const historyParty = {
  ...party,
  properties: {
    ...party.properties,
    caller: { type: "boolean", description: "started the call" },
    talked: { type: "boolean", description: "their leg was answered: they spoke on the call" },
    missed: { type: "boolean", description: "their phone rang and they did not answer" },
    busy: { type: "boolean", description: "they answered busy" },
    answeredElsewhere: {
      type: "boolean",
      description:
        "their phone rang and a colleague the call was also offered to took it (ring group, queue)",
    },
  },
};

/** One ended call as the viewer sees it (domain/call-history.ts, SeenHistoryRow). */
export const historyRow = {
  type: "object",
  required: ["startedAt", "endedAt", "talkMs", "answered", "missed"],
  properties: {
    startedAt: { type: "integer", description: "ms since epoch" },
    endedAt: { type: "integer", description: "ms since epoch" },
    talkMs: { type: "integer", description: "from the first answer to the end (0: nobody answered)" },
    answered: { type: "boolean" },
    missed: { type: "boolean", description: "nobody answered" },
    person: {
      type: "object",
      description:
        "without details (rule 3): whose call this is (one person) and what became of it for them; nothing about whom it was with",
      properties: {
        user: { type: "string" },
        talked: { type: "boolean" },
        missed: { type: "boolean" },
        busy: { type: "boolean" },
      },
    },
    id: { type: "string", description: "details: `<pbx>:<call id>`, one row per call" },
    pbx: { type: "string" },
    call: { type: "string" },
    direction: { type: "string", enum: ["internal", "inbound", "outbound"] },
    recorded: { type: "boolean" },
    queue: { type: "string", description: "details: the queue the caller waited in" },
    parties: {
      type: "array",
      items: historyParty,
      description: "details: the parties; a colleague who hides is only `{ external: false }`",
    },
    pickups: {
      type: "array",
      description: "details: directed pickups (who took the call from whose ringing phone)",
      items: { type: "object", properties: { at: { type: "integer" }, by: party, from: party } },
    },
    transfers: {
      type: "array",
      description: "details: transfers (who handed the call on, to whom when known)",
      items: {
        type: "object",
        properties: {
          at: { type: "integer" },
          kind: { type: "string", enum: ["blind", "attended"] },
          by: party,
          to: party,
        },
      },
    },
  },
};

export const recordingId = { name: "id", in: "path", required: true, schema: { type: "string" } };

/** A link to a recording's audio (src/api/recordings/audio.ts). */
export const audioLink = {
  type: "object",
  required: ["url", "expiresAt"],
  properties: {
    url: {
      type: "string",
      description: "/v1/recordings/{id}/audio?grant=…, for an <audio src> or a download",
    },
    expiresAt: { type: "integer", description: "ms since epoch, unless used before (each use moves it on)" },
  },
};

/** What PUT /v1/status and PUT /v1/users/{id}/status answer. */
export const statusResponses = {
  "202": { description: "the PBX took it (the board shows it once the PBX reports it back)" },
  ...errors,
  "409": { description: "the PBX's driver cannot use the user's extension" },
  "502": { description: "the PBX refused or is unreachable; `message` is the PBX's" },
};
