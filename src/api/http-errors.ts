// Request validation with zod; a bad request gets a 400 naming each bad field.

import type { FastifyReply } from "fastify";
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
