// GET /v1/history: ended calls, one row per call, newest first, each as the board's rules let the viewer see
// it (domain/call-history.ts): admins everything; anyone else the calls they were on and the calls of the
// colleagues whose calls they see, with details only where the board shows them. The filters match only what
// the viewer is shown, so a filter cannot tell them what a row hides.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { historyFor, missedFor, namesUser, type SeenHistoryRow } from "../../domain/call-history.js";
import type { Directory, User } from "../../domain/directory.js";
import { canSeeCalls, isAdmin } from "../../domain/visibility.js";
import type { HistoryQuery, HistoryStore } from "../../stores/history-store.js";
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

export const historyQuery = z
  .strictObject({
    user: z.string().min(1).max(200).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    missed: z
      .enum(["true", "false"])
      .transform((v) => v === "true")
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ["from"],
    message: "must not be after to",
  });

export const HISTORY_PARAMETER_TEXT: Record<string, string> = {
  user: "calls this user was on, as far as the caller may see that they were (a user the caller's view of a call does not name matches nothing)",
  from: "started at or after: ms since epoch or an ISO 8601 date",
  to: "started at or before: ms since epoch or an ISO 8601 date (not before from)",
  limit: "at most this many (1-1000, default 100)",
  missed:
    "true: only calls nobody answered, or that rang and went unanswered on the phone of `user` (else the caller's own)",
};

/** Whose calls the viewer's history holds: their own and those of everyone whose calls they may see. */
function historyUsers(directory: Directory, viewer: User): string[] {
  const out = [viewer.id];
  for (const u of directory.users.values()) if (u.id !== viewer.id && canSeeCalls(viewer, u)) out.push(u.id);
  return out;
}

export function historyRoutes(app: FastifyInstance, store: HistoryStore, directory: () => Directory): void {
  app.get("/v1/history", async (request, reply) => {
    const q = parseOr400(historyQuery, request.query, reply);
    if (!q) return reply;
    const viewer = request.viewer;
    if (!viewer)
      return reply.code(401).send({ error: "unauthorized", message: "a bearer token is required" });
    const rules = directory();
    const me = rules.users.get(viewer.id) ?? viewer;
    const query: HistoryQuery = { limit: q.limit ?? 100 };
    if (q.from !== undefined) query.from = q.from;
    if (q.to !== undefined) query.to = q.to;
    // The index walked: the named user's rows (a row names them only if they were on the call), else every
    // row for admins, else the rows of everyone whose calls the viewer sees (every row they may see has one
    // of those on it).
    if (q.user !== undefined) query.users = [q.user];
    else if (!isAdmin(me)) query.users = historyUsers(rules, me);
    const seenOf = new WeakMap<object, SeenHistoryRow>();
    query.where = (row) => {
      const seen = historyFor(rules, me, row);
      if (!seen) return false;
      if (q.user !== undefined && !namesUser(seen, q.user)) return false;
      if (q.missed !== undefined) {
        const missed = seen.missed || missedFor(seen, q.user ?? me.id);
        if (missed !== q.missed) return false;
      }
      seenOf.set(row, seen);
      return true;
    };
    const rows = await store.list(query);
    return { history: rows.flatMap((row) => seenOf.get(row) ?? historyFor(rules, me, row) ?? []) };
  });
}
