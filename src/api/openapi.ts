// The OpenAPI document served at /openapi.json. Request bodies come from the same zod schemas the
// handlers validate with, so the document cannot drift from what the server accepts.

import { z } from "zod";
import { OPERATION_PATHS, operationBody } from "./operations/routes.js";

const errorBody = {
  type: "object",
  properties: { error: { type: "string" }, message: { type: "string" }, problems: { type: "array" } },
};
const json = (schema: unknown) => ({ "application/json": { schema } });
const errors = {
  "400": { description: "invalid request; `problems` names each bad field", content: json(errorBody) },
  "401": { description: "no or unknown bearer token", content: json(errorBody) },
  "403": { description: "authenticated, but not allowed", content: json(errorBody) },
  "503": {
    description:
      "Redis cannot be reached (the token is checked there first); `message` says so, `Retry-After` when to try again",
    content: json(errorBody),
  },
};

export function openApiDocument(): Record<string, unknown> {
  const operations: Record<string, unknown> = {};
  for (const path of Object.keys(OPERATION_PATHS)) {
    operations[`/v1/operations/${path}`] = {
      post: {
        summary: `${path} (checks the caller's rights, then asks the PBX)`,
        requestBody: { content: json(z.toJSONSchema(operationBody)) },
        responses: {
          "202": { description: "accepted by the PBX" },
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
            "WebSocket: a snapshot, then numbered deltas and heartbeats. Reconnect with ?session=&seq= to resume.",
          parameters: [
            { name: "access_token", in: "query", schema: { type: "string" } },
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
          parameters: ["user", "call", "from", "to", "limit"].map((name) => ({
            name,
            in: "query",
            schema: { type: "string" },
          })),
          responses: { "200": { description: "recordings" }, ...errors },
        },
      },
      "/v1/recordings/failed": {
        get: {
          summary: "admins: recordings whose processing used up its retries, with the reason",
          responses: { "200": { description: "failed" }, ...errors },
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
        post: {
          summary: "admins: issue a token for a user (shown once)",
          responses: { "201": { description: "the token" }, ...errors },
        },
      },
    },
  };
}
