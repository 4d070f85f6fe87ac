// The audit log, for admins:
// GET /v1/audit — query it (filters below; `order=newest` for the latest first; `format=jsonl` as JSON lines).
// GET /v1/audit/export — the same filters, as a download: `format=csv` (default), `json` or `jsonl`. Each
// export is itself written to the audit log (`audit.export`, with its filters and how many entries it held).

import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { AuditEntry, AuditLog, AuditQuery } from "../../stores/audit-log.js";
import { requireAdmin } from "../auth/authenticate.js";
import { parseOr400 } from "../http-errors.js";
import { auditCsv } from "./csv.js";

/** An ISO 8601 date or date-time: 2024-05-01, 2024-05-01T12:00, 2024-05-01T12:00:00.000Z, …+02:00. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
export const INSTANT_TEXT = "expected ms since epoch or an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)";

/** ms since epoch, or an ISO 8601 date (UTC midnight) or date-time (without a zone: the server's local time). */
export const instant = z.string().transform((text, ctx) => {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : ISO_DATE.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0) {
    ctx.addIssue({ code: "custom", message: INSTANT_TEXT });
    return z.NEVER;
  }
  return value;
});

const name = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(200, { message: "at most 200 characters" });
export const AUDIT_OUTCOMES = ["allowed", "refused", "failed", "accepted", "changed"] as const;

const filters = {
  actor: name.optional(),
  action: name.optional(),
  target: name.optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  order: z.enum(["oldest", "newest"]).optional(),
};

const sinceNotAfterUntil = {
  check: (q: { since?: number; until?: number }) =>
    q.since === undefined || q.until === undefined || q.since <= q.until,
  issue: { path: ["since"], message: "must not be after until" },
};

export const auditQuery = z
  .strictObject({ ...filters, format: z.enum(["json", "jsonl"]).optional() })
  .refine(sinceNotAfterUntil.check, sinceNotAfterUntil.issue);

export const auditExportQuery = z
  .strictObject({ ...filters, format: z.enum(["csv", "json", "jsonl"]).optional() })
  .refine(sinceNotAfterUntil.check, sinceNotAfterUntil.issue);

/** What the descriptions of the query parameters say (the OpenAPI document). */
export const AUDIT_PARAMETER_TEXT: Record<string, string> = {
  actor: "who acted (a user id, or `callsight` for the server itself)",
  action: "what they did, e.g. listen, user.update, token.issue",
  target: "the user or call acted on",
  outcome: "allowed, refused, failed, accepted or changed",
  since: `at or after: ${INSTANT_TEXT.replace("expected ", "")}`,
  until: `at or before: ${INSTANT_TEXT.replace("expected ", "")} (not before since)`,
  limit: "at most this many matching entries (1-10000; default 1000, export 10000)",
  order: "oldest (default) or newest first; `limit` counts from that end",
};

function storeQuery(q: z.infer<typeof auditExportQuery>, defaultLimit: number): AuditQuery {
  const { format: _format, order, ...rest } = q;
  return { ...rest, limit: q.limit ?? defaultLimit, ...(order === "newest" ? { newestFirst: true } : {}) };
}

function jsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join("\n") + (entries.length ? "\n" : "");
}

function attachment(reply: FastifyReply, type: string, file: string): FastifyReply {
  return reply
    .type(type)
    .header("content-disposition", `attachment; filename="${file}"`)
    .header("cache-control", "no-store");
}

export function auditRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get("/v1/audit", { preHandler: requireAdmin }, async (request, reply) => {
    const q = parseOr400(auditQuery, request.query, reply);
    if (!q) return reply;
    const entries = await audit.query(storeQuery(q, 1000));
    if (q.format === "jsonl") {
      return attachment(reply, "application/x-ndjson", "callsight-audit.jsonl").send(jsonLines(entries));
    }
    return { entries };
  });

  app.get("/v1/audit/export", { preHandler: requireAdmin }, async (request, reply) => {
    const q = parseOr400(auditExportQuery, request.query, reply);
    if (!q) return reply;
    const format = q.format ?? "csv";
    const entries = await audit.query(storeQuery(q, 10_000));
    const { format: _format, ...asked } = q;
    await audit.append({
      actor: request.viewer!.id,
      action: "audit.export",
      outcome: "allowed",
      detail: { format, filters: asked, entries: entries.length },
    });
    if (format === "csv")
      return attachment(reply, "text/csv; charset=utf-8", "callsight-audit.csv").send(auditCsv(entries));
    if (format === "jsonl")
      return attachment(reply, "application/x-ndjson", "callsight-audit.jsonl").send(jsonLines(entries));
    return attachment(reply, "application/json; charset=utf-8", "callsight-audit.json").send(
      JSON.stringify(entries, null, 2),
    );
  });
}
