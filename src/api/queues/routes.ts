// Queues (README "Queues and ring groups"):
//   GET /v1/queues                                  the panels of the queues the caller's departments own
//     (admins: every owned queue), as the board shows them (domain/queue-view.ts, rule Q): callers waiting
//     (position, since when; who, only for the queue's agents, the department's supervisors and admins),
//     agents (named as rule 1 allows, paused with reason and since when, on a queue call) and the day's
//     counters. The stream carries the same panels.
//   PUT /v1/queues/:queue/agents/:user?pbx=         change a member (`me` for oneself): body { paused, reason? }
//     pauses or unpauses, { loggedIn } logs in or out (rule OQ, queue-member-service.ts); 202 once the PBX
//     took it.

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Directory } from "../../domain/directory.js";
import { type QueueSource, queuesFor } from "../../domain/queue-view.js";
import { parseOr400 } from "../http-errors.js";
import type { QueueMemberService } from "./queue-member-service.js";

export const PAUSE_REASON_MAX = 64;

const pauseReason = z
  .string()
  .trim()
  .max(PAUSE_REASON_MAX)
  .refine((s) => !/\p{Cc}/u.test(s), { message: "no control characters (line breaks, tabs)" })
  .describe("why (Lunch, Break…): kept by Asterisk, shown on the panel; FreeSWITCH keeps none");

/** Pause / unpause, or log in / out: one of `paused` and `loggedIn`. */
export const queueMemberBody = z
  .strictObject({
    paused: z.boolean().optional().describe("true: not offered queue calls until unpaused"),
    reason: pauseReason.optional(),
    loggedIn: z
      .boolean()
      .optional()
      .describe(
        "true: log in to the queue (Asterisk: a dynamic member; FreeSWITCH: the agent FusionPBX set up, Available), false: log out",
      ),
  })
  .superRefine((b, ctx) => {
    if (b.paused === undefined && b.loggedIn === undefined)
      ctx.addIssue({ code: "custom", path: ["paused"], message: "give paused (or loggedIn)" });
    if (b.paused !== undefined && b.loggedIn !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["loggedIn"],
        message: "one change at a time: paused or loggedIn",
      });
    if (b.reason !== undefined && b.paused === undefined)
      ctx.addIssue({ code: "custom", path: ["reason"], message: "a reason goes with paused" });
  });

export const queueMemberQuery = z.strictObject({
  pbx: z.string().min(1).max(100).optional().describe("the PBX, when queues of that name are on several"),
});

export function queueRoutes(
  app: FastifyInstance,
  directory: () => Directory,
  source: QueueSource,
  members: QueueMemberService,
): void {
  app.get("/v1/queues", async (request) => ({ queues: queuesFor(request.viewer!, directory(), source) }));

  app.put<{ Params: { queue: string; user: string } }>(
    "/v1/queues/:queue/agents/:user",
    async (request, reply) => {
      const body = parseOr400(queueMemberBody, request.body ?? {}, reply);
      if (!body) return reply;
      const query = parseOr400(queueMemberQuery, request.query ?? {}, reply);
      if (!query) return reply;
      const result = await members.change(
        request.viewer!.id,
        request.params.queue,
        query.pbx,
        request.params.user,
        body.loggedIn !== undefined
          ? { loggedIn: body.loggedIn }
          : { paused: body.paused === true, ...(body.reason ? { reason: body.reason } : {}) },
      );
      return reply.code(result.httpStatus).send(result.body);
    },
  );
}
