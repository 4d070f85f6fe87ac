// Bearer-token authentication. 401: who are you? 403: you may not.

import type { FastifyReply, FastifyRequest } from "fastify";
import type { User } from "../../domain/directory.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { TokenStore } from "./token-store.js";

declare module "fastify" {
  interface FastifyRequest {
    viewer?: User;
  }
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim();
  // Browsers cannot set headers on a WebSocket: the stream also takes ?access_token=.
  const query = request.query as { access_token?: unknown } | undefined;
  return typeof query?.access_token === "string" ? query.access_token : undefined;
}

export function authenticator(tokens: TokenStore, callsight: Callsight) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerOf(request);
    if (!token) {
      await reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: "unauthorized", message: "a bearer token is required" });
      return;
    }
    const record = await tokens.resolve(token);
    const user = record ? callsight.directory.users.get(record.user) : undefined;
    if (!user) {
      await reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: "unauthorized", message: "unknown or revoked token" });
      return;
    }
    request.viewer = user;
  };
}

export async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.viewer?.role !== "admin") {
    await reply.code(403).send({ error: "forbidden", message: "administrators only" });
  }
}
