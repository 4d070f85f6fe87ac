// A board stream's WebSocket as the hub sees it, with a bounded send buffer. A viewer that stops reading
// (a laptop lid closed, a stalled mobile link) would otherwise have every delta queued for it in this
// process until it leaves. Once its unsent bytes pass the bound it is sent nothing more; when it has caught
// up (a quarter of the bound or less left) it gets a fresh snapshot of its session instead of the deltas it
// missed; still behind at two heartbeats in a row (15–30 s by default), it is closed with
// CLOSE_TOO_SLOW, and the board reconnects and resumes. A slow viewer costs at most the bound and one
// message, and never holds up anyone else: sends do not wait for a socket.

import type { FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import type { BoardMessage, ViewerConnection } from "./board-hub.js";

/** The close code of a viewer that stayed behind its send-buffer bound (the board reconnects). */
export const CLOSE_TOO_SLOW = 4008;

/** Unsent bytes a viewer's socket may hold before nothing more is sent to it (default). */
export const DEFAULT_VIEWER_BUFFER_BYTES = 1024 * 1024;

/**
 * The stream reads nothing from viewers: only control frames (pong, close; at most 125 bytes each) and
 * nothing else arrive from a well-behaved one. A bigger frame ends the connection (1009) as soon as its
 * header is read, instead of being buffered up to ws's default of 100 MiB.
 */
export const STREAM_SOCKET_OPTIONS = { maxPayload: 4 * 1024, maxFragments: 16 };

export type SlowViewerEvent = "behind" | "resnapshot" | "disconnected";

export interface ViewerSocketOptions {
  maxBufferedBytes: number;
  /** Sends the connection a fresh snapshot of its session (through its own `send`). */
  resnapshot(connection: ViewerConnection): void;
  /** Counted in /metrics (`callsight_board_slow_viewers_total`). */
  onSlow?(event: SlowViewerEvent): void;
}

export class ViewerSocket implements ViewerConnection {
  /** Heartbeats seen since the buffer passed the bound; undefined while the viewer keeps up. */
  private behind: number | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ViewerSocketOptions,
  ) {}

  send(message: BoardMessage, text: string): void {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    const buffered = socket.bufferedAmount;
    if (this.behind !== undefined) {
      if (buffered <= this.options.maxBufferedBytes / 4) {
        // Caught up: the snapshot holds this message and every one skipped.
        this.behind = undefined;
        this.options.onSlow?.("resnapshot");
        this.options.resnapshot(this);
      } else if (message.type === "heartbeat" && ++this.behind >= 2) {
        this.options.onSlow?.("disconnected");
        // Queued behind what the viewer has not read; ws destroys the socket if no answer comes.
        socket.close(CLOSE_TOO_SLOW, "too slow: send buffer full");
      }
      return;
    }
    // The bound is checked before the message: one bigger than it (a large site's snapshot) still goes.
    if (buffered > this.options.maxBufferedBytes) {
      this.behind = message.type === "heartbeat" ? 1 : 0;
      this.options.onSlow?.("behind");
      return;
    }
    socket.send(text);
  }
}

/**
 * Errors on a stream's socket. What a client or its link does wrong (a bad or oversized frame: ws's
 * `WS_ERR_*`; a reset: `ECONNRESET`…) is one warning per connection, without a stack, however many bad
 * frames it sent; anything else (a fault of ours) is logged in full. The socket ends either way.
 */
export function streamSocketErrorHandler(): (
  error: Error,
  socket: WebSocket,
  request: FastifyRequest,
) => void {
  const logged = new WeakSet<WebSocket>();
  return (error, socket, request) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined)
      request.log.error({ err: error, viewer: request.viewer?.id }, "board stream failed");
    else if (!logged.has(socket)) {
      logged.add(socket);
      request.log.warn(
        { viewer: request.viewer?.id, error: error.message, code },
        "board stream error: connection closed",
      );
    }
    socket.terminate();
  };
}
