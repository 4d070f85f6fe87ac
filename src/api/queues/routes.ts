// GET /v1/queues: the panels of the queues the caller's departments own (admins: every owned queue), as the
// board shows them (domain/queue-view.ts, rule Q): callers waiting (position, since when; who, only for the
// queue's agents, the department's supervisors and admins), agents (named as rule 1 allows, paused with
// reason and since when, on a queue call) and the day's counters. The stream carries the same panels.

import type { FastifyInstance } from "fastify";
import type { Directory } from "../../domain/directory.js";
import { type QueueSource, queuesFor } from "../../domain/queue-view.js";

export function queueRoutes(app: FastifyInstance, directory: () => Directory, source: QueueSource): void {
  app.get("/v1/queues", async (request) => ({ queues: queuesFor(request.viewer!, directory(), source) }));
}
