// POST /v1/operations/<path>: every operation of the operation table (domain/operation-table.ts).

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { OPERATION_BY_PATH } from "../../domain/operation-table.js";
import { parseOr400 } from "../http-errors.js";
import type { OperationsService } from "./operations-service.js";

export const operationBody = z.strictObject({
  target: z.string().min(1).optional().describe("the user whose call is acted on"),
  call: z.string().min(1).optional().describe("a call id (parked pickup, recording)"),
  pbx: z.string().min(1).optional(),
  leg: z.string().min(1).optional().describe("send to IVR: the leg to send (default: the outside party)"),
  to: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe("call: whom to call, a colleague's user id or a phone number (digits, optional leading +)"),
});

export function operationRoutes(app: FastifyInstance, service: OperationsService): void {
  app.post<{ Params: { operation: string } }>("/v1/operations/:operation", async (request, reply) => {
    const entry = OPERATION_BY_PATH.get(request.params.operation);
    if (entry === undefined) {
      return reply.code(404).send({
        error: "not-found",
        message: `unknown operation "${request.params.operation}" (known: ${[...OPERATION_BY_PATH.keys()].join(", ")})`,
      });
    }
    const body = parseOr400(operationBody, request.body ?? {}, reply);
    if (!body) return reply;
    const need = entry.needs;
    const missing =
      need === "target" && !body.target
        ? "target"
        : need === "call" && !body.call
          ? "call"
          : need === "either" && !body.call && !body.target
            ? "call"
            : need === "to" && !body.to
              ? "to"
              : undefined;
    if (missing) {
      return reply.code(400).send({
        error: "invalid-request",
        message: `${missing}: required for ${request.params.operation}`,
        problems: [{ field: missing, message: `required for ${request.params.operation}` }],
      });
    }
    const result = await service.execute(request.viewer!.id, entry.name, body);
    return reply.code(result.httpStatus).send(result.body);
  });
}
