// Bearer-token authentication. 401: who are you? 403: you may not. 429: too many failed attempts.
//
// The token goes in the Authorization header. Only the WebSocket upgrade of the board stream also takes
// it as `?access_token=` (browsers cannot set headers there); anywhere else a query token is refused,
// so a token does not end up in URLs, proxy logs and browser history.
//
// Failed authentications are counted per client address in Redis (@fastify/rate-limit's Redis store), so
// the limit holds across instances: past `failureLimit` failures in a window, every request from the
// address gets 429 with Retry-After until the window ends for every token it presents, valid or not, so the
// answer never tells a right guess from a wrong one. Requests that authenticate are not counted.

import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { User } from "../../domain/directory.js";
import { authKeys } from "../../redis-keys.js";
import type { Callsight } from "../../runtime/callsight.js";
import { FailureLog } from "./failure-log.js";
import type { ResolvedToken, TokenStore } from "./token-store.js";
import { ViewerSockets } from "./viewer-sockets.js";

declare module "fastify" {
  interface FastifyRequest {
    viewer?: User;
    /** The token the request authenticated with (its id and record, never the token itself). */
    credential?: ResolvedToken;
  }
}

/** The route that takes `?access_token=` on its WebSocket upgrade. */
export const STREAM_ROUTE = "/v1/stream";

export interface AuthSettings {
  /** Failed authentications an address may make per window; the next request gets 429. */
  failureLimit: number;
  failureWindowSeconds: number;
}

function queryTokenAllowed(request: FastifyRequest): boolean {
  return request.ws === true && request.routeOptions.url === STREAM_ROUTE;
}

function queryToken(request: FastifyRequest): string | undefined {
  const query = request.query as { access_token?: unknown } | undefined;
  return typeof query?.access_token === "string" ? query.access_token : undefined;
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim();
  return queryTokenAllowed(request) ? queryToken(request) : undefined;
}

/** The path of a request without its query (which may carry a token): for logs and error bodies. */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

async function unauthorized(reply: FastifyReply, message: string): Promise<void> {
  await reply.code(401).header("www-authenticate", "Bearer").send({ error: "unauthorized", message });
}

export class Authentication {
  readonly sockets: ViewerSockets;
  private readonly failures: FailureLog;

  constructor(
    private readonly tokens: TokenStore,
    private readonly callsight: Callsight,
    private readonly logger: Logger,
    private readonly settings: AuthSettings,
  ) {
    this.sockets = new ViewerSockets(tokens, () => callsight.directory, logger.child({ component: "auth" }));
    this.failures = new FailureLog(logger.child({ component: "auth" }));
  }

  /** Listens for revocations (closing streams opened with a revoked token). */
  async start(): Promise<void> {
    await this.sockets.start();
  }

  /** Authenticates every request of `scope`. */
  async register(scope: FastifyInstance): Promise<void> {
    await scope.register(rateLimit, {
      global: false,
      max: this.settings.failureLimit,
      timeWindow: this.settings.failureWindowSeconds * 1000,
      redis: this.tokens.redis,
      nameSpace: authKeys(this.tokens.prefix).failures,
    });
    const failures = scope.createRateLimit();
    const { tokens, callsight } = this;

    scope.addHook("preHandler", async (request, reply) => {
      const token = bearerOf(request);
      if (!token) {
        // Nothing to look up (not even with Redis away), nothing to count.
        const stray = !queryTokenAllowed(request) && queryToken(request) !== undefined;
        await unauthorized(
          reply,
          stray
            ? `the token goes in the Authorization header (?access_token= is only taken by the ${STREAM_ROUTE} WebSocket)`
            : "a bearer token is required",
        );
        return;
      }
      // Both in one round trip: whether the address is over its limit, and the token.
      const [limit, check] = await Promise.all([
        failures(request, { increment: false }),
        tokens.check(token),
      ]);
      if (!limit.isAllowed && limit.remaining === 0) {
        const seconds = Math.max(1, limit.ttlInSeconds);
        await reply
          .code(429)
          .header("retry-after", String(seconds))
          .send({
            error: "too-many-requests",
            message: `too many failed authentications from this address; try again in ${seconds} s`,
          });
        return;
      }
      const user = check.ok ? callsight.directory.users.get(check.token.user) : undefined;
      if (!check.ok || !user) {
        await this.failed(request, check.ok ? "user-gone" : check.reason, failures);
        await unauthorized(reply, "unknown, expired or revoked token");
        return;
      }
      tokens.touch(check.token.id);
      request.viewer = user;
      request.credential = check.token;
    });
  }

  close(): void {
    this.sockets.close();
  }

  private async failed(
    request: FastifyRequest,
    reason: string,
    failures: ReturnType<FastifyInstance["createRateLimit"]>,
  ): Promise<void> {
    const counted = await failures(request);
    this.failures.note({ address: request.ip, reason, method: request.method, path: pathOf(request.url) });
    if (!counted.isAllowed && counted.remaining === 0 && !counted.isExceeded) {
      // Exactly the failure that reached the limit (on whichever instance): said once per window.
      this.logger.warn(
        {
          address: request.ip,
          failures: counted.max,
          retryAfterSeconds: counted.ttlInSeconds,
        },
        "too many failed authentications: this address gets 429 until the window ends",
      );
    }
  }
}

export async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.viewer?.role !== "admin") {
    await reply.code(403).send({ error: "forbidden", message: "administrators only" });
  }
}
