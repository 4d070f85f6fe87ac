// POST /v1/operations/<operation>: pickup, parked pickup, send to IVR, listen/whisper/barge, recording.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseOr400 } from "../http-errors.js";
import type { OperationName, OperationsService } from "./operations-service.js";

/** Path name -> operation. A Map: a path segment such as `constructor` or `__proto__` is no operation. */
export const OPERATION_PATHS: ReadonlyMap<string, OperationName> = new Map<string, OperationName>([
  ["pickup", "pickup"],
  ["parked-pickup", "parkedPickup"],
  ["send-to-ivr", "sendToIvr"],
  ["listen", "listen"],
  ["whisper", "whisper"],
  ["barge", "barge"],
  ["record-start", "recordStart"],
  ["record-stop", "recordStop"],
]);

export const operationBody = z.strictObject({
  target: z.string().min(1).optional().describe("the user whose call is acted on"),
  call: z.string().min(1).optional().describe("a call id (parked pickup, recording)"),
  pbx: z.string().min(1).optional(),
  leg: z.string().min(1).optional().describe("send to IVR: the leg to send (default: the outside party)"),
});

const needs: Record<OperationName, "target" | "call" | "either"> = {
  pickup: "target",
  parkedPickup: "call",
  sendToIvr: "target",
  listen: "target",
  whisper: "target",
  barge: "target",
  recordStart: "either",
  recordStop: "either",
};

export function operationRoutes(app: FastifyInstance, service: OperationsService): void {
  app.post<{ Params: { operation: string } }>("/v1/operations/:operation", async (request, reply) => {
    const operation = OPERATION_PATHS.get(request.params.operation);
    if (operation === undefined) {
      return reply.code(404).send({
        error: "not-found",
        message: `unknown operation "${request.params.operation}" (known: ${[...OPERATION_PATHS.keys()].join(", ")})`,
      });
    }
    const body = parseOr400(operationBody, request.body ?? {}, reply);
    if (!body) return reply;
    const need = needs[operation];
    const missing =
      need === "target" && !body.target
        ? "target"
        : need === "call" && !body.call
          ? "call"
          : need === "either" && !body.call && !body.target
            ? "call"
            : undefined;
    if (missing) {
      return reply.code(400).send({
        error: "invalid-request",
        message: `${missing}: required for ${request.params.operation}`,
        problems: [{ field: missing, message: `required for ${request.params.operation}` }],
      });
    }
    const result = await service.execute(request.viewer!.id, operation, body);
    return reply.code(result.httpStatus).send(result.body);
  });
}
