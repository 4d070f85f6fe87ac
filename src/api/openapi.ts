// The OpenAPI document served at /openapi.json. Request bodies come from the same zod schemas the
// handlers validate with, so the document cannot drift from what the server accepts.

import { z } from "zod";
import { OPERATION_TABLE } from "../domain/operation-table.js";
import { tokenRequest } from "./admin/routes.js";
import { operationBody } from "./operations/routes.js";
import { failedQuery, recordingsQuery } from "./recordings/routes.js";

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

const LIMIT = "at most this many (1-1000, default 100)";

export function openApiDocument(): Record<string, unknown> {
  const operations: Record<string, unknown> = {};
  for (const { path, summary, needs } of OPERATION_TABLE) {
    operations[`/v1/operations/${path}`] = {
      post: {
        summary: `${summary} (checks the caller's rights, then asks the PBX; the body names ${needs === "either" ? "the call or the user" : needs === "call" ? "the call" : "the user (target)"})`,
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
      "/v1/audit": {
        get: {
          summary: "admins: query the audit log (format=jsonl exports JSON lines)",
          parameters: ["actor", "action", "target", "outcome", "since", "until", "limit", "format"].map(
            (name) => ({ name, in: "query", schema: { type: "string" } }),
          ),
          responses: { "200": { description: "entries" }, ...errors },
        },
      },
      "/v1/recordings": {
        get: {
          summary:
            "stored recordings by user, call and date; admins see all, others the calls they were on or recorded on demand",
          parameters: queryParameters(recordingsQuery, {
            user: "recordings with this user among the parties",
            call: "recordings of this call id",
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
