// The admin console API (administrators only).

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { defaultSettings } from "../../domain/directory.js";
import type { AuditLog } from "../../stores/audit-log.js";
import { requireAdmin } from "../auth/authenticate.js";
import { TokenAdmin } from "../auth/token-admin.js";
import { DURATION_TEXT, parseDuration, type TokenStore } from "../auth/token-store.js";
import { parseOr400 } from "../http-errors.js";
import type { AdminResult, AdminService } from "./admin-service.js";

const entry = z.record(z.string(), z.unknown());
export const tokenRequest = z.strictObject({
  user: z.string().min(1),
  label: z.string().max(100).optional(),
  /** The token stops working this long after it is issued; absent: it does not expire. */
  expires: z
    .string()
    .refine((text) => parseDuration(text) !== undefined, { message: `expected ${DURATION_TEXT}` })
    .optional(),
});
const tokensQuery = z.strictObject({ user: z.string().min(1).optional() });

async function send<T>(reply: FastifyReply, result: AdminResult<T>) {
  if (result.ok)
    return result.status === 204 ? reply.code(204).send() : reply.code(result.status).send(result.value);
  return reply.code(result.status).send({
    error: result.error,
    message: result.message,
    ...(result.problems ? { problems: result.problems } : {}),
  });
}

export function adminRoutes(
  app: FastifyInstance,
  admin: AdminService,
  tokens: TokenStore,
  audit: AuditLog,
): void {
  const tokenAdmin = new TokenAdmin(tokens, audit);
  app.register(async (scope) => {
    scope.addHook("preHandler", requireAdmin);

    // `defaults`: the settings a user gets where their entry leaves a switch out.
    scope.get("/v1/admin/directory", async () => ({ ...admin.document(), defaults: defaultSettings() }));
    // Each PBX connection: connected, since when, last error, reconnects, malformed frames, last resync.
    scope.get("/v1/admin/pbx", async () => admin.pbx());
    scope.get("/v1/admin/users", async () => ({ users: admin.document().document.users }));
    scope.get<{ Params: { id: string } }>("/v1/admin/users/:id", async (request, reply) => {
      const user = admin.user(request.params.id);
      return user ?? reply.code(404).send({ error: "not-found", message: `no user ${request.params.id}` });
    });
    scope.post("/v1/admin/users", async (request, reply) => {
      const body = parseOr400(entry, request.body, reply);
      if (!body) return reply;
      return send(reply, await admin.createUser(request.viewer!.id, body));
    });
    scope.patch<{ Params: { id: string } }>("/v1/admin/users/:id", async (request, reply) => {
      const body = parseOr400(entry, request.body, reply);
      if (!body) return reply;
      return send(reply, await admin.updateUser(request.viewer!.id, request.params.id, body));
    });
    scope.delete<{ Params: { id: string } }>("/v1/admin/users/:id", async (request, reply) => {
      const result = await admin.deleteUser(request.viewer!.id, request.params.id);
      // Their tokens go too, and their open streams are closed on every instance.
      if (result.ok) await tokenAdmin.revokeUser(request.viewer!.id, request.params.id, "user deleted");
      return send(reply, result);
    });

    scope.get("/v1/admin/departments", async () => ({ departments: admin.document().document.departments }));
    scope.post("/v1/admin/departments", async (request, reply) => {
      const body = parseOr400(entry, request.body, reply);
      if (!body) return reply;
      return send(reply, await admin.createDepartment(request.viewer!.id, body));
    });
    scope.patch<{ Params: { id: string } }>("/v1/admin/departments/:id", async (request, reply) => {
      const body = parseOr400(entry, request.body, reply);
      if (!body) return reply;
      return send(reply, await admin.updateDepartment(request.viewer!.id, request.params.id, body));
    });
    scope.delete<{ Params: { id: string } }>("/v1/admin/departments/:id", async (request, reply) =>
      send(reply, await admin.deleteDepartment(request.viewer!.id, request.params.id)),
    );

    scope.post("/v1/admin/tokens", async (request, reply) => {
      const body = parseOr400(tokenRequest, request.body, reply);
      if (!body) return reply;
      if (!admin.user(body.user)) {
        return reply.code(404).send({
          error: "not-found",
          message: `no user ${body.user}`,
          problems: [{ field: "user", message: "unknown user" }],
        });
      }
      const expiresInMs = body.expires !== undefined ? parseDuration(body.expires) : undefined;
      const { token, info } = await tokenAdmin.issue(request.viewer!.id, body.user, {
        ...(body.label ? { label: body.label } : {}),
        ...(expiresInMs !== undefined ? { expiresInMs } : {}),
      });
      return reply.code(201).send({ ...info, token });
    });
    // Never the tokens themselves: their ids, users, labels, when made, when they expire, when last used.
    scope.get("/v1/admin/tokens", async (request, reply) => {
      const q = parseOr400(tokensQuery, request.query, reply);
      if (!q) return reply;
      return { tokens: await tokens.list(q.user !== undefined ? { user: q.user } : {}) };
    });
    scope.delete<{ Params: { id: string } }>("/v1/admin/tokens/:id", async (request, reply) => {
      const revoked = await tokenAdmin.revoke(request.viewer!.id, request.params.id);
      if (!revoked)
        return reply.code(404).send({ error: "not-found", message: `no token ${request.params.id}` });
      return reply.code(204).send();
    });
  });
}
