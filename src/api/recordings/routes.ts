// GET /v1/recordings: stored recordings by user, call and date. Admins see all of them; anyone else
// only the recordings of calls they were on, or that they started on demand, and of those only what the
// board's rules let them see (recording-visibility.ts): no server path, and a call's details as its tiles.
// Admins may ask for a department's recordings (`department`): those concerning one of its members (a party,
// who required it, who recorded it on demand).
// GET /v1/recordings/failed (admins): finalize jobs that used up their attempts, with the reason.
// Playing and downloading (POST /v1/recordings/:id/play, /download; GET /v1/recordings/:id/audio): audio.ts.

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Directory } from "../../domain/directory.js";
import type { RecordingIndex, RecordingQuery } from "../../recording/recording-index.js";
import { usersOf } from "../../recording/recording-job.js";
import type { RecordingQueue } from "../../recording/recording-queue.js";
import { namesUser, recordingFor } from "../../recording/recording-visibility.js";
import { requireAdmin } from "../auth/authenticate.js";
import { type FieldProblem, parseOr400 } from "../http-errors.js";
import { type PlaybackDeps, playbackRoutes } from "./audio.js";

/** ms since epoch, or an ISO 8601 date / date-time. */
const instant = z.string().transform((text, ctx) => {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value)) {
    ctx.addIssue({ code: "custom", message: "expected ms since epoch or an ISO 8601 date" });
    return z.NEVER;
  }
  return value;
});

export const recordingsQuery = z
  .strictObject({
    user: z.string().min(1).optional(),
    call: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ["from"],
    message: "must not be after to",
  });

export const failedQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function recordingRoutes(
  app: FastifyInstance,
  index: RecordingIndex,
  queue: RecordingQueue,
  directory: () => Directory,
  /** Without it, recordings are listed but not played or downloaded. */
  playback?: PlaybackDeps,
): void {
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
    if (q.department !== undefined) {
      const problem =
        viewer.role !== "admin"
          ? "only administrators may ask for a department's recordings"
          : directory().departments.has(q.department)
            ? undefined
            : "no such department";
      if (problem) return invalid(reply, { field: "department", message: problem });
    }
    if (viewer.role === "admin") {
      if (q.department !== undefined) {
        const rules = directory();
        const department = q.department;
        query.where = (m) =>
          usersOf(m).some((u) => rules.users.get(u)?.departments.includes(department) === true);
      }
      return { recordings: await index.list(query) };
    }
    // Anyone else: what the board's rules let them see of each (recording-visibility.ts). The user and call
    // filters match only what they see, so a filter cannot tell them what a recording hides.
    const rules = directory();
    const me = rules.users.get(viewer.id) ?? viewer;
    query.visibleTo = me.id;
    query.where = (m) => {
      const seen = recordingFor(rules, me, m);
      return (
        seen !== undefined &&
        (q.user === undefined || namesUser(seen, q.user)) &&
        (q.call === undefined || seen.callId === q.call)
      );
    };
    const recordings = await index.list(query);
    return { recordings: recordings.flatMap((m) => recordingFor(rules, me, m) ?? []) };
  });

  if (playback) playbackRoutes(app, playback);

  app.get("/v1/recordings/failed", { preHandler: requireAdmin }, async (request, reply) => {
    const q = parseOr400(failedQuery, request.query, reply);
    if (!q) return reply;
    return { failed: await queue.failedJobs(q.limit ?? 100) };
  });
}

function invalid(reply: FastifyReply, problem: FieldProblem): FastifyReply {
  return reply.code(400).send({
    error: "invalid-request",
    message: `${problem.field}: ${problem.message}`,
    problems: [problem],
  });
}
