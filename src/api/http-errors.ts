// Request validation with zod; a bad request gets a 400 naming each bad field. A Redis that cannot be
// reached gets a 503 with the reason.

import type { FastifyReply, FastifyRequest } from "fastify";
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

/** What a /v1 request asks for, as a 503 names it: `/v1/admin/users/1002` -> "the admin API". */
export function v1Area(request: FastifyRequest): string {
  const path = request.url.split("?")[0] ?? "";
  const area = path.split("/")[2] ?? "";
  const names: Record<string, string> = {
    board: "the board",
    stream: "the board",
    operations: "the operation",
    admin: "the admin API",
    recordings: "the recordings",
    audit: "the audit log",
    me: "the API",
  };
  return names[area] ?? "the API";
}

/**
 * A route's error handler that answers 503 with the reason when Redis cannot be reached (the bearer
 * token is checked there), and logs it; any other error goes on to the default handler.
 */
export function redisUnavailableAs503(what: string | ((request: FastifyRequest) => string)) {
  return (err: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (!isRedisUnavailable(err)) throw err;
    const name = typeof what === "string" ? what : what(request);
    request.log.error({ err, url: request.url }, `${name} unavailable: Redis cannot be reached`);
    return reply
      .code(503)
      .header("retry-after", "5")
      .send({
        error: "unavailable",
        message: `${name} is unavailable: Redis cannot be reached (${err.message}); try again shortly`,
      });
  };
}
