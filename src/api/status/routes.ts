// A user's chosen status:
//   GET /v1/status              the statuses the caller may see (rule 1), theirs included
//   PUT /v1/status              the caller's own
//   PUT /v1/users/:id/status    someone else's: administrators only (403 otherwise)
// The body is { status: available | away | dnd, note?, until? }; 202 means the PBX took it (driver.ts).

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { USER_STATUSES } from "../../pbx/driver.js";
import { parseOr400 } from "../http-errors.js";
import type { StatusChange, StatusService } from "./status-service.js";

/** The longest note, in characters and in UTF-8 bytes (Asterisk keeps at most 255 bytes of a presence message). */
export const NOTE_MAX_CHARS = 100;
export const NOTE_MAX_BYTES = 200;
/** How far ahead an end time may lie. */
export const UNTIL_MAX_MS = 366 * 24 * 3600 * 1000;

export const statusBody = z.strictObject({
  status: z.enum(USER_STATUSES).describe("available, away or dnd (do not disturb)"),
  note: z
    .string()
    .max(NOTE_MAX_CHARS)
    .refine((s) => !/\p{Cc}/u.test(s), { message: "no control characters (line breaks, tabs)" })
    .refine((s) => Buffer.byteLength(s, "utf8") <= NOTE_MAX_BYTES, {
      message: `at most ${NOTE_MAX_BYTES} bytes as UTF-8`,
    })
    .optional()
    .describe("a short note shown with the status (the phones' presence message); empty or absent: none"),
  until: z
    .union([z.number(), z.string().min(1)])
    .optional()
    .describe(
      "when the status goes back to available: an ISO 8601 time (e.g. 2025-06-02T14:00:00+02:00) or ms since epoch, in the future; only with away or dnd",
    ),
});

/** The end time of a request as ms since epoch, or why it is not usable. */
export function parseUntil(value: number | string, now: number): number | string {
  let at: number;
  if (typeof value === "number") at = value;
  else if (/^\d+$/.test(value.trim())) at = Number(value.trim());
  else {
    // A date and a time, with a zone or not (then the server's); a bare date is not a time.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim()))
      return "expected an ISO 8601 time or ms since epoch";
    at = Date.parse(value.trim());
  }
  if (!Number.isFinite(at) || !Number.isInteger(at)) return "expected an ISO 8601 time or ms since epoch";
  if (at <= now) return "must be in the future";
  if (at > now + UNTIL_MAX_MS) return "must be within a year";
  return at;
}

export function statusRoutes(
  app: FastifyInstance,
  service: StatusService,
  now: () => number = Date.now,
): void {
  app.get("/v1/status", async (request) => ({ people: service.statusesFor(request.viewer!.id) }));

  const put = async (viewer: string, target: string, body: unknown, reply: FastifyReply) => {
    const parsed = parseOr400(statusBody, body ?? {}, reply);
    if (!parsed) return reply;
    const note = parsed.note?.trim();
    let until: number | undefined;
    if (parsed.until !== undefined) {
      const at = parseUntil(parsed.until, now());
      const problem =
        typeof at === "string" ? at : parsed.status === "available" ? "only with away or dnd" : undefined;
      if (problem !== undefined) {
        return reply.code(400).send({
          error: "invalid-request",
          message: `until: ${problem}`,
          problems: [{ field: "until", message: problem }],
        });
      }
      until = at as number;
    }
    const change: StatusChange = {
      status: parsed.status,
      ...(note ? { note } : {}),
      ...(until !== undefined ? { until } : {}),
    };
    const result = await service.set(viewer, target, change);
    return reply.code(result.httpStatus).send(result.body);
  };

  app.put("/v1/status", async (request, reply) =>
    put(request.viewer!.id, request.viewer!.id, request.body, reply),
  );
  app.put<{ Params: { id: string } }>("/v1/users/:id/status", async (request, reply) =>
    put(request.viewer!.id, request.params.id, request.body, reply),
  );
}
