// The OpenAPI document served at /openapi.json. Request bodies come from the same zod schemas the
// handlers validate with, so the document cannot drift from what the server accepts.

import { z } from "zod";
import { OPERATION_TABLE } from "../domain/operation-table.js";
import { tokenRequest } from "./admin/routes.js";
import { AUDIT_PARAMETER_TEXT, auditExportQuery, auditQuery } from "./audit/routes.js";
import { HISTORY_PARAMETER_TEXT, historyQuery } from "./history/routes.js";
import { operationBody } from "./operations/routes.js";
import { failedQuery, recordingsQuery } from "./recordings/routes.js";
import { statusBody } from "./status/routes.js";

const errorBody = {
  type: "object",
  properties: { error: { type: "string" }, message: { type: "string" }, problems: { type: "array" } },
};
const json = (schema: unknown) => ({ "application/json": { schema } });
const errors = {
  "400": { description: "invalid request; `problems` names each bad field", content: json(errorBody) },
  "401": { description: "no or unknown bearer token", content: json(errorBody) },
  "403": { description: "authenticated, but not allowed", content: json(errorBody) },
  "429": {
    description:
      "too many failed authentications from this address (`auth.failureLimit` per window); `Retry-After` says when to try again",
    content: json(errorBody),
  },
  "503": {
    description:
      "Redis cannot be reached (the token is checked there first); `message` says so, `Retry-After` when to try again",
    content: json(errorBody),
  },
};

/** Query parameters from the zod schema the handler validates with (as the client writes them). */
function queryParameters(schema: z.ZodType, descriptions: Record<string, string>): unknown[] {
  const json = z.toJSONSchema(schema, { io: "input" }) as { properties?: Record<string, unknown> };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: false,
    schema: property,
    ...(Object.hasOwn(descriptions, name) ? { description: descriptions[name] } : {}),
  }));
}

const party = {
  type: "object",
  properties: {
    user: { type: "string" },
    number: { type: "string" },
    name: { type: "string" },
    external: { type: "boolean" },
  },
};

/** A stored recording's metadata (src/recording/recording-store.ts). */
const recording = {
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
const failedRecording = {
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
const auditEntry = {
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
const pbxConnection = {
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

const LIMIT = "at most this many (1-1000, default 100)";

/** A party of a call in the history, as the viewer sees it, with what became of them (domain/call-history.ts). */
const historyParty = {
  ...party,
  properties: {
    ...party.properties,
    caller: { type: "boolean", description: "started the call" },
    talked: { type: "boolean", description: "their leg was answered: they spoke on the call" },
    missed: { type: "boolean", description: "their phone rang and they did not answer" },
    busy: { type: "boolean", description: "they answered busy" },
  },
};

/** One ended call as the viewer sees it (domain/call-history.ts, SeenHistoryRow). */
const historyRow = {
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

const recordingId = { name: "id", in: "path", required: true, schema: { type: "string" } };

/** A link to a recording's audio (src/api/recordings/audio.ts). */
const audioLink = {
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
const statusResponses = {
  "202": { description: "the PBX took it (the board shows it once the PBX reports it back)" },
  ...errors,
  "409": { description: "the PBX's driver cannot use the user's extension" },
  "502": { description: "the PBX refused or is unreachable; `message` is the PBX's" },
};

export function openApiDocument(): Record<string, unknown> {
  const operations: Record<string, unknown> = {};
  for (const { path, summary, needs } of OPERATION_TABLE) {
    operations[`/v1/operations/${path}`] = {
      post: {
        summary: `${summary} (checks the caller's rights, then asks the PBX; the body names ${needs === "either" ? "the call or the user" : needs === "call" ? "the call" : needs === "to" ? "whom to call (to)" : "the user (target)"})`,
        requestBody: { content: json(z.toJSONSchema(operationBody)) },
        responses: {
          "202": {
            description: "the PBX took the command (what follows, e.g. a phone answering, comes later)",
          },
          ...errors,
          "404": { description: "unknown user or call", content: json(errorBody) },
          "409": { description: "the call is in the wrong state (not ringing, not answered, not parked)" },
          "502": { description: "the PBX refused or is unreachable; `message` is the PBX's" },
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Callsight API", version: "1" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths: {
      "/healthz": {
        get: {
          summary: "the process serves; each PBX connection's status",
          security: [],
          responses: { "200": { description: "ok" } },
        },
      },
      "/readyz": {
        get: {
          summary: "every PBX connected and the model resynced since, Redis answering",
          security: [],
          responses: {
            "200": { description: "ready" },
            "503": { description: "not ready; `problems` says why" },
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "this document",
          security: [],
          responses: { "200": { description: "the OpenAPI 3.1 document" } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          security: [],
          responses: { "200": { description: "text exposition format" } },
        },
      },
      "/v1/me": {
        get: {
          summary: "who the token belongs to",
          responses: { "200": { description: "the user" }, ...errors },
        },
      },
      "/v1/board": {
        get: {
          summary:
            "the caller's board: people, calls, monitoring sessions, parked calls they may see, and each PBX link (connecting, up, down since)",
          responses: { "200": { description: "BoardView" }, ...errors },
        },
      },
      "/v1/stream": {
        get: {
          summary:
            "WebSocket: a snapshot, then numbered deltas and heartbeats. Reconnect with ?session=&seq= to resume. A viewer that stops reading is sent nothing past 1 MiB unsent, a fresh snapshot once caught up, or is closed with 4008 (too slow).",
          parameters: [
            {
              name: "access_token",
              in: "query",
              description: "the bearer token, for browsers (no other route takes it)",
              schema: { type: "string" },
            },
            { name: "session", in: "query", schema: { type: "string" } },
            { name: "seq", in: "query", schema: { type: "integer" } },
          ],
          responses: { "101": { description: "switching protocols" }, ...errors },
        },
      },
      ...operations,
      "/v1/status": {
        get: {
          summary:
            "the chosen statuses the caller may see (theirs, and everyone whose presence their board shows): status, note and end time, as the PBX reports them",
          responses: { "200": { description: "{ people: [{ user, status, note?, until? }] }" }, ...errors },
        },
        put: {
          summary:
            "set the caller's own status (available, away, dnd) with an optional note and end time: written to the PBX, where the phones' lamps read it; the board shows it once the PBX reports it back. Audited.",
          requestBody: { content: json(z.toJSONSchema(statusBody, { io: "input" })) },
          responses: statusResponses,
        },
      },
      "/v1/users/{id}/status": {
        put: {
          summary: "administrators: set another user's status (as PUT /v1/status). Audited.",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          requestBody: { content: json(z.toJSONSchema(statusBody, { io: "input" })) },
          responses: {
            ...statusResponses,
            "403": { description: "not an administrator (whoever the id names)", content: json(errorBody) },
            "404": { description: "no such user (administrators only)", content: json(errorBody) },
          },
        },
      },
      "/v1/audit": {
        get: {
          summary: "admins: query the audit log (format=jsonl exports JSON lines)",
          parameters: queryParameters(auditQuery, {
            ...AUDIT_PARAMETER_TEXT,
            format: "json (default: { entries }) or jsonl (one entry a line, as a download)",
          }),
          responses: {
            "200": {
              description: "the matching entries",
              content: json({
                type: "object",
                required: ["entries"],
                properties: { entries: { type: "array", items: auditEntry } },
              }),
            },
            ...errors,
          },
        },
      },
      "/v1/audit/export": {
        get: {
          summary:
            "admins: the matching audit entries as a download (CSV by default; the export is itself audited as audit.export)",
          parameters: queryParameters(auditExportQuery, {
            ...AUDIT_PARAMETER_TEXT,
            format:
              "csv (default: columns id,time,actor,action,target,outcome,reason,detail; RFC 4180 quoting; a cell that would start a spreadsheet formula gets a leading ') , json (an array) or jsonl",
          }),
          responses: {
            "200": {
              description: "the entries, as an attachment",
              content: {
                "text/csv": { schema: { type: "string" } },
                "application/json": { schema: { type: "array", items: auditEntry } },
                "application/x-ndjson": { schema: { type: "string" } },
              },
            },
            ...errors,
          },
        },
      },
      "/v1/history": {
        get: {
          summary:
            "ended calls, one row per call, newest first, as the board's rules let the caller see them (their own, and their colleagues' where they see their calls)",
          parameters: queryParameters(historyQuery, HISTORY_PARAMETER_TEXT),
          responses: {
            "200": {
              description: "the rows the caller may see, newest first",
              content: json({
                type: "object",
                required: ["history"],
                properties: { history: { type: "array", items: historyRow } },
              }),
            },
            ...errors,
          },
        },
      },
      "/v1/recordings": {
        get: {
          summary:
            "stored recordings by user, call and date; admins see all, others the calls they were on or recorded on demand",
          parameters: queryParameters(recordingsQuery, {
            user: "recordings with this user among the parties",
            call: "recordings of this call id",
            department:
              "admins only: recordings concerning a member of this department (a party, who required it, who recorded it); 400 for anyone else or an unknown department",
            from: "started at or after: ms since epoch or an ISO 8601 date",
            to: "started at or before: ms since epoch or an ISO 8601 date (not before from)",
            limit: LIMIT,
          }),
          responses: {
            "200": {
              description: "the recordings the caller may see, newest first",
              content: json({
                type: "object",
                required: ["recordings"],
                properties: { recordings: { type: "array", items: recording } },
              }),
            },
            ...errors,
          },
        },
      },
      "/v1/recordings/{id}/play": {
        post: {
          summary:
            "a link to play one recording the caller may see (the list's rule): good for this recording only, expires after 5 minutes unused and 4 hours after issue, ends with the token; audited as recording.play",
          parameters: [recordingId],
          responses: {
            "200": { description: "the link", content: json(audioLink) },
            ...errors,
            "404": {
              description: "no such recording, or one the caller may not see (the same answer)",
              content: json(errorBody),
            },
          },
        },
      },
      "/v1/recordings/{id}/download": {
        post: {
          summary:
            "a link to download one recording the caller may see, as an attachment; as /play otherwise; audited as recording.download",
          parameters: [recordingId],
          responses: {
            "200": {
              description: "the link, and the file name the download gets (its start time and id)",
              content: json({
                ...audioLink,
                required: [...audioLink.required, "fileName"],
                properties: { ...audioLink.properties, fileName: { type: "string" } },
              }),
            },
            ...errors,
            "404": {
              description: "no such recording, or one the caller may not see (the same answer)",
              content: json(errorBody),
            },
          },
        },
      },
      "/v1/recordings/{id}/audio": {
        get: {
          summary:
            "the audio (audio/wav), on a link from /play or /download: no bearer token (an <audio> cannot send one), the grant is the credential. One byte range per request (bytes=a-b, a-, -n); If-Range, ETag, Last-Modified",
          security: [],
          parameters: [
            recordingId,
            { name: "grant", in: "query", required: true, schema: { type: "string" } },
            {
              name: "download",
              in: "query",
              description: "1 on a download link (Content-Disposition: attachment)",
              schema: { type: "string", enum: ["1"] },
            },
          ],
          responses: {
            "200": {
              description: "the whole file",
              content: { "audio/wav": { schema: { type: "string", format: "binary" } } },
            },
            "206": {
              description: "the range asked for, with Content-Range",
              content: { "audio/wav": { schema: { type: "string", format: "binary" } } },
            },
            "304": { description: "If-None-Match matched" },
            "400": errors["400"],
            "401": {
              description:
                "no link, or one unknown, expired, or for another recording or purpose (the same answer)",
              content: json(errorBody),
            },
            "404": {
              description: "the viewer may no longer see the recording, or its audio is gone",
              content: json(errorBody),
            },
            "416": {
              description: "the range starts past the end; Content-Range: bytes */size",
              content: json(errorBody),
            },
            "503": errors["503"],
          },
        },
      },
      "/v1/recordings/failed": {
        get: {
          summary: "admins: recordings whose processing used up its retries, with the reason",
          parameters: queryParameters(failedQuery, { limit: LIMIT }),
          responses: {
            "200": {
              description: "failed finalize jobs",
              content: json({
                type: "object",
                required: ["failed"],
                properties: { failed: { type: "array", items: failedRecording } },
              }),
            },
            ...errors,
          },
        },
      },
      "/v1/admin/directory": {
        get: {
          summary:
            "admins: the whole directory document, its version, and the settings a user gets by default",
          responses: { "200": { description: "ok" }, ...errors },
        },
      },
      "/v1/admin/pbx": {
        get: {
          summary:
            "admins: each PBX connection: connected, since when, last error, reconnects, malformed frames, last resync (and, clustered, this instance's role)",
          responses: {
            "200": {
              description: "the server's clock (`now`) and one entry per PBX",
              content: json({
                type: "object",
                required: ["now", "pbx"],
                properties: { now: { type: "integer" }, pbx: { type: "array", items: pbxConnection } },
              }),
            },
            ...errors,
          },
        },
      },
      "/v1/admin/users": {
        get: {
          summary: "admins: list users with every setting",
          responses: { "200": { description: "ok" }, ...errors },
        },
        post: {
          summary: "admins: create a user (same fields as callsight.yaml)",
          responses: { "201": { description: "created" }, ...errors, "409": { description: "exists" } },
        },
      },
      "/v1/admin/users/{id}": {
        get: {
          summary: "admins: one user",
          responses: { "200": { description: "ok" }, ...errors, "404": { description: "no such user" } },
        },
        patch: {
          summary: "admins: change settings (operations merge)",
          responses: { "200": { description: "ok" }, ...errors, "404": { description: "no such user" } },
        },
        delete: {
          summary: "admins: delete a user and revoke their tokens",
          responses: { "204": { description: "deleted" }, ...errors },
        },
      },
      "/v1/admin/departments": {
        get: { summary: "admins: list departments", responses: { "200": { description: "ok" }, ...errors } },
        post: {
          summary: "admins: create a department",
          responses: { "201": { description: "created" }, ...errors },
        },
      },
      "/v1/admin/departments/{id}": {
        patch: { summary: "admins: rename", responses: { "200": { description: "ok" }, ...errors } },
        delete: {
          summary: "admins: delete an empty department",
          responses: { "204": { description: "deleted" }, ...errors, "409": { description: "has members" } },
        },
      },
      "/v1/admin/tokens": {
        get: {
          summary: "admins: list tokens (id, user, label, createdAt, expiresAt, lastUsedAt; never the token)",
          parameters: [{ name: "user", in: "query", schema: { type: "string" } }],
          responses: { "200": { description: "tokens" }, ...errors },
        },
        post: {
          summary: "admins: issue a token for a user (shown once); `expires` e.g. 8h makes it expire",
          requestBody: { content: json(z.toJSONSchema(tokenRequest)) },
          responses: { "201": { description: "the token and its id" }, ...errors },
        },
      },
      "/v1/admin/tokens/{id}": {
        delete: {
          summary: "admins: revoke a token (its open streams are closed)",
          responses: {
            "204": { description: "revoked" },
            ...errors,
            "404": { description: "no such token" },
          },
        },
      },
    },
  };
}
