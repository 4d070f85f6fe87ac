// GET /v1/board and the WebSocket /v1/stream.
import type {} from "@fastify/websocket";

import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import type { ViewerSockets } from "../auth/viewer-sockets.js";
import { redisUnavailableAs503 } from "../http-errors.js";
import type { BoardHub } from "./board-hub.js";
import { DEFAULT_VIEWER_BUFFER_BYTES, ViewerSocket, type ViewerSocketOptions } from "./viewer-socket.js";

/** How the stream treats a viewer that does not keep up (viewer-socket.ts). */
export type StreamSendOptions = Partial<Omit<ViewerSocketOptions, "resnapshot">>;

const resumeQuery = z.object({
  session: z.string().uuid().optional(),
  seq: z.coerce.number().int().min(0).optional(),
  // The token, for browsers (they cannot set a header on a WebSocket); no other route takes it.
  access_token: z.string().optional(),
});

export function boardRoutes(
  app: FastifyInstance,
  hub: BoardHub,
  sockets: ViewerSockets,
  stream: StreamSendOptions = {},
): void {
  // The viewer's token is checked in Redis before these run: with Redis away, 503 with the reason.
  const errorHandler = redisUnavailableAs503("the board");
  app.get("/v1/board", { errorHandler }, async (request, reply) => {
    const view = hub.view(request.viewer!.id);
    if (!view) return reply.code(404).send({ error: "not-found", message: "no such user" });
    return view;
  });

  app.get("/v1/stream", { websocket: true, errorHandler }, (socket: WebSocket, request) => {
    const q = resumeQuery.safeParse(request.query);
    // A viewer that stops reading is bounded (viewer-socket.ts): resnapshot once caught up, else closed 4008.
    const connection = new ViewerSocket(socket, {
      maxBufferedBytes: stream.maxBufferedBytes ?? DEFAULT_VIEWER_BUFFER_BYTES,
      resnapshot: (c) => hub.resnapshot(c),
      ...(stream.onSlow ? { onSlow: stream.onSlow } : {}),
    });
    const resume =
      q.success && q.data.session !== undefined && q.data.seq !== undefined
        ? { session: q.data.session, seq: q.data.seq }
        : undefined;
    hub.connect(request.viewer!.id, connection, resume);
    // Ends the stream (4401) when its token is revoked or expires, or its user is deleted.
    const forget = sockets.add(socket, request.viewer!.id, request.credential!);
    socket.on("close", () => {
      forget();
      hub.disconnect(connection);
    });
    socket.on("error", () => {
      forget();
      hub.disconnect(connection);
    });
  });
}
