// The ESL connection's keep-alive (connection.ts): the HEARTBEAT events FreeSWITCH sends count as
// traffic; after `pingIntervalMs` of silence an `api status` must be answered within `pongTimeoutMs`,
// or the connection is closed.

export interface EslKeepAliveOptions {
  /** Silence after which an `api status` is sent; 0 disables. */
  pingIntervalMs: number;
  /** The `api status` must be answered within this. */
  pongTimeoutMs: number;
  /** Sends `api status` on the connection. */
  ping(timeoutMs: number): Promise<unknown>;
  /** Whether the connection has ended already. */
  closed(): boolean;
  /** The `api status` failed on a connection still open: it is to be closed. */
  failed(err: Error): void;
}

export class EslKeepAlive {
  private timer?: NodeJS.Timeout;
  private pinging = false;
  private lastRx = Date.now();

  constructor(private readonly options: EslKeepAliveOptions) {}

  /** Something arrived on the socket. */
  heard(): void {
    this.lastRx = Date.now();
  }

  start(): void {
    const every = this.options.pingIntervalMs;
    if (every <= 0) return;
    const pongTimeoutMs = this.options.pongTimeoutMs;
    this.timer = setInterval(
      () => {
        if (this.options.closed() || this.pinging || Date.now() - this.lastRx < every) return;
        this.pinging = true;
        this.options.ping(pongTimeoutMs).then(
          () => {
            this.pinging = false;
          },
          (err: Error) => {
            this.pinging = false;
            if (this.options.closed()) return;
            this.options.failed(err);
          },
        );
      },
      Math.max(10, Math.floor(every / 2)),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
