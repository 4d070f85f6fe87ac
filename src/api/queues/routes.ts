// Queues (README "Queues and ring groups"):
//   GET /v1/queues                                  the panels of the queues the caller's departments own
//     (admins: every owned queue), as the board shows them (domain/queue-view.ts, rule Q): callers waiting
//     (position, since when; who, only for the queue's agents, the department's supervisors and admins),
//     agents (named as rule 1 allows, paused with reason and since when, on a queue call) and the day's
//     counters. The stream carries the same panels.
//   PUT /v1/queues/:queue/agents/:user?pbx=         pause or unpause a member (`me` for oneself), body
//     { paused, reason? } (rule OQ, queue-pause-service.ts); 202 once the PBX took it.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Directory } from "../../domain/directory.js";
import { type QueueSource, queuesFor } from "../../domain/queue-view.js";
import { parseOr400 } from "../http-errors.js";
import type { QueuePauseService } from "./queue-pause-service.js";

export const PAUSE_REASON_MAX = 64;

export const queuePauseBody = z.strictObject({
  paused: z.boolean().describe("true: not offered queue calls until unpaused"),
  reason: z
    .string()
    .trim()
    .max(PAUSE_REASON_MAX)
    .refine((s) => !/\p{Cc}/u.test(s), { message: "no control characters (line breaks, tabs)" })
    .optional()
    .describe("why (Lunch, Break…): kept by Asterisk, shown on the panel; FreeSWITCH keeps none"),
});

export const queuePauseQuery = z.strictObject({
  pbx: z.string().min(1).max(100).optional().describe("the PBX, when queues of that name are on several"),
});

export function queueRoutes(
  app: FastifyInstance,
  directory: () => Directory,
  source: QueueSource,
  pauses: QueuePauseService,
): void {
  app.get("/v1/queues", async (request) => ({ queues: queuesFor(request.viewer!, directory(), source) }));

  app.put<{ Params: { queue: string; user: string } }>(
    "/v1/queues/:queue/agents/:user",
    async (request, reply) => {
      const body = parseOr400(queuePauseBody, request.body ?? {}, reply);
      if (!body) return reply;
      const query = parseOr400(queuePauseQuery, request.query ?? {}, reply);
      if (!query) return reply;
      const result = await pauses.pause(
        request.viewer!.id,
        request.params.queue,
        query.pbx,
        request.params.user,
        {
          paused: body.paused,
          ...(body.reason ? { reason: body.reason } : {}),
        },
      );
      return reply.code(result.httpStatus).send(result.body);
    },
  );
}
