// The admin console API (administrators only).

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { defaultSettings } from "../../domain/directory.js";
import { requireAdmin } from "../auth/authenticate.js";
import type { TokenStore } from "../auth/token-store.js";
import { parseOr400 } from "../http-errors.js";
import type { AdminResult, AdminService } from "./admin-service.js";

const entry = z.record(z.string(), z.unknown());
const tokenRequest = z.strictObject({ user: z.string().min(1), label: z.string().max(100).optional() });

async function send<T>(reply: FastifyReply, result: AdminResult<T>) {
  if (result.ok)
    return result.status === 204 ? reply.code(204).send() : reply.code(result.status).send(result.value);
  return reply.code(result.status).send({
    error: result.error,
    message: result.message,
    ...(result.problems ? { problems: result.problems } : {}),
  });
}

export function adminRoutes(app: FastifyInstance, admin: AdminService, tokens: TokenStore): void {
  app.register(async (scope) => {
    scope.addHook("preHandler", requireAdmin);

    // `defaults`: the settings a user gets where their entry leaves a switch out.
    scope.get("/v1/admin/directory", async () => ({ ...admin.document(), defaults: defaultSettings() }));
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
      if (result.ok) await tokens.revokeUser(request.params.id);
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
      const token = await tokens.create(body.user, body.label);
      return reply.code(201).send({ user: body.user, token });
    });
  });
}
