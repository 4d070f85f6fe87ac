// The OpenAPI document served at /openapi.json. Request bodies come from the same zod schemas the
// handlers validate with, so the document cannot drift from what the server accepts. The queue and
// recording paths are with their routes (queues/openapi.ts, recordings/openapi.ts).

import { z } from "zod";
import { OPERATION_TABLE } from "../domain/operation-table.js";
import { tokenRequest } from "./admin/routes.js";
import { AUDIT_PARAMETER_TEXT, auditExportQuery, auditQuery } from "./audit/routes.js";
import { HISTORY_PARAMETER_TEXT, historyQuery } from "./history/routes.js";
import { auditEntry, historyRow, pbxConnection, statusResponses } from "./openapi/schemas.js";
import { errorBody, errors, json, queryParameters } from "./openapi/shared.js";
import { operationBody } from "./operations/routes.js";
import { queuePaths } from "./queues/openapi.js";
import { recordingPaths } from "./recordings/openapi.js";
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
      ...recordingPaths,
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
