// Socket plumbing the simulators share: listening on a port, and a client's output batched per turn of
// the event loop (a burst of events leaves in one write, as a busy PBX's do).

import type net from "node:net";

/** Listens on `host:port` (port 0: any free port); rejects when the port cannot be had. */
export function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Output to one client: queued, then written in one go on the next turn of the event loop. */
export class BatchedWriter {
  private out: string[] = [];
  private scheduled = false;

  /** `counted` hears the size (in characters) of everything queued. */
  constructor(
    private readonly socket: net.Socket,
    private readonly counted: (chars: number) => void,
  ) {}

  write(text: string): void {
    this.out.push(text);
    this.counted(text.length);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued now (before raw bytes or a close that must come after it). */
  flush(): void {
    this.scheduled = false;
    if (this.out.length === 0) return;
    const text = this.out.join("");
    this.out = [];
    if (!this.socket.destroyed) this.socket.write(text);
  }
}
