// GET /v1/board and the WebSocket /v1/stream.
import type {} from "@fastify/websocket";

import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import { redisUnavailableAs503 } from "../http-errors.js";
import type { BoardHub, BoardMessage, ViewerConnection } from "./board-hub.js";

const resumeQuery = z.object({
  session: z.string().uuid().optional(),
  seq: z.coerce.number().int().min(0).optional(),
  access_token: z.string().optional(),
});

export function boardRoutes(app: FastifyInstance, hub: BoardHub): void {
  // The viewer's token is checked in Redis before these run: with Redis away, 503 with the reason.
  const errorHandler = redisUnavailableAs503("the board");
  app.get("/v1/board", { errorHandler }, async (request, reply) => {
    const view = hub.view(request.viewer!.id);
    if (!view) return reply.code(404).send({ error: "not-found", message: "no such user" });
    return view;
  });

  app.get("/v1/stream", { websocket: true, errorHandler }, (socket: WebSocket, request) => {
    const q = resumeQuery.safeParse(request.query);
    const connection: ViewerConnection = {
      send(_message: BoardMessage, text: string) {
        if (socket.readyState === socket.OPEN) socket.send(text);
      },
    };
    const resume =
      q.success && q.data.session !== undefined && q.data.seq !== undefined
        ? { session: q.data.session, seq: q.data.seq }
        : undefined;
    hub.connect(request.viewer!.id, connection, resume);
    socket.on("close", () => hub.disconnect(connection));
    socket.on("error", () => hub.disconnect(connection));
  });
}
