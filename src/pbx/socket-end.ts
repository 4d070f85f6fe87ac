import type { Socket } from "node:net";

/** Ends a socket politely and waits for it to close; destroys it if the peer has not closed within `graceMs`. */
export function endSocket(socket: Socket, graceMs = 500): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, graceMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
  });
}
