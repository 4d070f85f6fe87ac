// The OpenAPI document served at /openapi.json. Request bodies come from the same zod schemas the
// handlers validate with, so the document cannot drift from what the server accepts.

import { z } from "zod";
import { OPERATION_TABLE } from "../domain/operation-table.js";
import { tokenRequest } from "./admin/routes.js";
import { AUDIT_PARAMETER_TEXT, auditExportQuery, auditQuery } from "./audit/routes.js";
import { HISTORY_PARAMETER_TEXT, historyQuery } from "./history/routes.js";
import {
  audioLink,
  auditEntry,
  failedRecording,
  historyRow,
  pbxConnection,
  recording,
  recordingId,
  statusResponses,
} from "./openapi/schemas.js";
import { errorBody, errors, json, LIMIT, queryParameters } from "./openapi/shared.js";
import { operationBody } from "./operations/routes.js";
import { queuePaths } from "./queues/openapi.js";
import { failedQuery, recordingsQuery } from "./recordings/routes.js";
import { statusBody } from "./status/routes.js";

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
      ...queuePaths,
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
