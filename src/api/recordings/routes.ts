// GET /v1/recordings: stored recordings by user, call and date. Admins see all of them; anyone else
// only the recordings of calls they were on, or that they started on demand.
// GET /v1/recordings/failed (admins): finalize jobs that used up their attempts, with the reason.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RecordingIndex, RecordingQuery } from "../../recording/recording-index.js";
import type { RecordingQueue } from "../../recording/recording-queue.js";
import { requireAdmin } from "../auth/authenticate.js";
import { parseOr400 } from "../http-errors.js";

/** ms since epoch, or an ISO 8601 date / date-time. */
const instant = z.string().transform((text, ctx) => {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value)) {
    ctx.addIssue({ code: "custom", message: "expected ms since epoch or an ISO 8601 date" });
    return z.NEVER;
  }
  return value;
});

const recordingsQuery = z
  .strictObject({
    user: z.string().min(1).optional(),
    call: z.string().min(1).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    access_token: z.string().optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ["from"],
    message: "must not be after to",
  });

const failedQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  access_token: z.string().optional(),
});

export function recordingRoutes(app: FastifyInstance, index: RecordingIndex, queue: RecordingQueue): void {
  app.get("/v1/recordings", async (request, reply) => {
    const q = parseOr400(recordingsQuery, request.query, reply);
    if (!q) return reply;
    const viewer = request.viewer;
    if (!viewer)
      return reply.code(401).send({ error: "unauthorized", message: "a bearer token is required" });
    const query: RecordingQuery = { limit: q.limit ?? 100 };
    if (q.user !== undefined) query.user = q.user;
    if (q.call !== undefined) query.call = q.call;
    if (q.from !== undefined) query.from = q.from;
    if (q.to !== undefined) query.to = q.to;
    if (viewer.role !== "admin") query.visibleTo = viewer.id;
    return { recordings: await index.list(query) };
  });

  app.get("/v1/recordings/failed", { preHandler: requireAdmin }, async (request, reply) => {
    const q = parseOr400(failedQuery, request.query, reply);
    if (!q) return reply;
    return { failed: await queue.failedJobs(q.limit ?? 100) };
  });
}
