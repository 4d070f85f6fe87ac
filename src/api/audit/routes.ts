// GET /v1/audit (admins): query the audit log; `format=jsonl` exports it as JSON lines.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuditLog } from "../../stores/audit-log.js";
import { requireAdmin } from "../auth/authenticate.js";
import { parseOr400 } from "../http-errors.js";

const auditQuery = z.strictObject({
  actor: z.string().optional(),
  action: z.string().optional(),
  target: z.string().optional(),
  outcome: z.enum(["allowed", "refused", "failed", "accepted", "changed"]).optional(),
  since: z.coerce.number().int().min(0).optional().describe("ms since epoch"),
  until: z.coerce.number().int().min(0).optional().describe("ms since epoch"),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  format: z.enum(["json", "jsonl"]).optional(),
});

export function auditRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get("/v1/audit", { preHandler: requireAdmin }, async (request, reply) => {
    const q = parseOr400(auditQuery, request.query, reply);
    if (!q) return reply;
    const { format, ...filters } = q;
    const entries = await audit.query(filters);
    if (format === "jsonl") {
      return reply
        .type("application/x-ndjson")
        .header("content-disposition", 'attachment; filename="callsight-audit.jsonl"')
        .send(entries.map((e) => JSON.stringify(e)).join("\n") + (entries.length ? "\n" : ""));
    }
    return { entries };
  });
}
