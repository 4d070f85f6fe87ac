// Request validation with zod; a bad request gets a 400 naming each bad field. A Redis that cannot be
// reached gets a 503 with the reason. Any other error is a 500, and every 5xx is logged with the request id.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";

export interface FieldProblem {
  field: string;
  message: string;
}

export function fieldOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(body)";
}

export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems: FieldProblem[] = r.error.issues.map((i) => ({
    field: fieldOf(i.path),
    message: i.message,
  }));
  void reply.code(400).send({
    error: "invalid-request",
    message: problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    problems,
  });
  return undefined;
}

/** Messages and codes of a Redis (ioredis) that cannot be reached right now. */
const REDIS_DOWN_NAMES = new Set(["MaxRetriesPerRequestError", "RedisTimeoutError", "DeadlineError"]);
const REDIS_DOWN_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
]);
const REDIS_DOWN_MESSAGE = /Connection is closed|Stream isn't writeable|max retries per request/i;

/** Whether an error says that Redis is unreachable (rather than that the request is wrong). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (
    REDIS_DOWN_NAMES.has(err.name) ||
    (code !== undefined && REDIS_DOWN_CODES.has(code)) ||
    REDIS_DOWN_MESSAGE.test(err.message)
  );
}

const AREA_NAMES: ReadonlyMap<string, string> = new Map([
  ["board", "the board"],
  ["stream", "the board"],
  ["operations", "the operation"],
  ["admin", "the admin API"],
  ["recordings", "the recordings"],
  ["audit", "the audit log"],
  ["me", "the API"],
]);

/** What a /v1 request asks for, as a 503 names it: `/v1/admin/users/1002` -> "the admin API". */
export function v1Area(request: FastifyRequest): string {
  const path = request.url.split("?")[0] ?? "";
  const area = path.split("/")[2] ?? "";
  return AREA_NAMES.get(area) ?? "the API";
}

/**
 * A route's error handler that answers 503 with the reason when Redis cannot be reached (the bearer
 * token is checked there), and logs it; any other error goes on to the default handler.
 */
export function redisUnavailableAs503(what: string | ((request: FastifyRequest) => string)) {
  return (err: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (!isRedisUnavailable(err)) throw err;
    const name = typeof what === "string" ? what : what(request);
    request.log.error(
      { err, url: request.url.split("?")[0] },
      `${name} unavailable: Redis cannot be reached`,
    );
    logged.add(request);
    return reply
      .code(503)
      .header("retry-after", "5")
      .send({
        error: "unavailable",
        message: `${name} is unavailable: Redis cannot be reached (${err.message}); try again shortly`,
      });
  };
}

/** How deep a JSON body may nest. Nothing Callsight accepts comes close; far deeper bodies overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/** The path to the first value nested deeper than `max` levels, if any (walked without recursion). */
export function tooDeep(value: unknown, max: number): PropertyKey[] | undefined {
  interface Node {
    value: unknown;
    depth: number;
    key?: PropertyKey;
    parent?: Node;
  }
  const stack: Node[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (v === null || typeof v !== "object") continue;
    if (node.depth >= max) {
      const path: PropertyKey[] = [];
      for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
      return path;
    }
    const depth = node.depth + 1;
    const entries: [PropertyKey, unknown][] = Array.isArray(v) ? [...v.entries()] : Object.entries(v);
    for (const [key, item] of entries) stack.push({ value: item, depth, key, parent: node });
  }
  return undefined;
}

const ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [400, "invalid-request"],
  [401, "unauthorized"],
  [403, "forbidden"],
  [404, "not-found"],
  [409, "conflict"],
  [429, "too-many-requests"],
]);

/** Requests whose 5xx is already logged (with its reason), so that the catch-all below does not repeat it. */
const logged = new WeakSet<FastifyRequest>();

/**
 * The server-wide error handling; call it on the root instance before any route or plugin is registered:
 * - a JSON body nested deeper than MAX_JSON_DEPTH is a 400 naming its top-level field;
 * - an error fastify marks as the request's fault keeps its 4xx; about the body (not JSON, too large, of
 *   another type, with `__proto__`) as an `invalid-request` naming `(body)`;
 * - any other error is a 500, logged with its stack; the reply carries the request id to find it in the log;
 * - every other 5xx reply (a PBX error, a 503) is logged too, with the request id (`reqId`, bound by fastify
 *   to `request.log`), unless its handler logged it already.
 */
export function handleErrors(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  app.addHook("preValidation", async (request, reply) => {
    const path = tooDeep(request.body, maxDepth);
    if (!path) return;
    const field = fieldOf(path.slice(0, 1));
    const message = `nested deeper than ${maxDepth} levels`;
    return reply.code(400).send({
      error: "invalid-request",
      message: `${field}: ${message}`,
      problems: [{ field, message }],
    });
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status =
      typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 600
        ? err.statusCode
        : 500;
    if (status < 500) {
      // Fastify's own: the body is not JSON, too large, of another type, or carries __proto__.
      const body = err.code?.startsWith("FST_ERR_CTP_") || err instanceof SyntaxError;
      if (!body)
        return reply
          .code(status)
          .send({ error: ERROR_NAMES.get(status) ?? "bad-request", message: err.message });
      return reply.code(status).send({
        error: "invalid-request",
        message: `(body): ${err.message}`,
        problems: [{ field: "(body)", message: err.message }],
      });
    }
    request.log.error(
      { err, method: request.method, url: request.url.split("?")[0], statusCode: status },
      `${request.method} ${request.url.split("?")[0]} failed: ${err.message}`,
    );
    logged.add(request);
    return reply.code(status).send({
      error: "internal",
      message: `the request failed; the server log has the details under request id ${request.id}`,
      requestId: request.id,
    });
  });

  app.addHook("onResponse", async (request, reply) => {
    // /readyz logs its own changes of readiness: a load balancer polling it must not flood the log.
    if (reply.statusCode < 500 || logged.has(request) || request.routeOptions.url === "/readyz") return;
    request.log.warn(
      { method: request.method, url: request.url.split("?")[0], statusCode: reply.statusCode },
      `${request.method} ${request.url.split("?")[0]} answered ${reply.statusCode}`,
    );
  });
}
