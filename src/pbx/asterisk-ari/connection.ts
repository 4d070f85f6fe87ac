// One ARI event session: a WebSocket on `/ari/events?app=<app>&subscribeAll=true` with this
// connection's Basic credentials, a keep-alive ping, and one handler for every message. There are no
// per-channel listeners anywhere (ari-client keeps `channel.on(...)` listeners until removed by hand)
// and no built-in reconnect (ari-client's gives up after its retries): the driver opens a fresh
// session after each close, with its own backoff, and resyncs.

import type { Logger } from "pino";
import WebSocket from "ws";

export interface AriConnectionOptions {
  /** `http://host:port`. */
  baseUrl: string;
  username: string;
  secret: string;
  app: string;
  subscribeAll?: boolean;
  /** TCP + HTTP upgrade. Default 10 s. */
  connectTimeoutMs?: number;
  /** WebSocket ping period; 0 disables. Default 20 s. */
  pingIntervalMs?: number;
  /** A ping without a pong within this time closes the socket. Default 10 s. */
  pongTimeoutMs?: number;
  logger?: Logger;
}

export interface AriConnectionHandlers {
  /** Every text message, in arrival order. */
  message(text: string): void;
  /** Called once when the session ends, whatever the reason. */
  closed?(reason: Error): void;
}

export const ARI_CONNECTION_LOST = "ARI connection lost";

export class AriConnection {
  private ws?: WebSocket;
  private pingTimer?: NodeJS.Timeout;
  private pongTimer?: NodeJS.Timeout;
  private isClosed = false;
  private opened = false;
  private notified = false;

  private constructor(
    private readonly options: AriConnectionOptions,
    private readonly handlers: AriConnectionHandlers,
  ) {}

  /** Opens the WebSocket. Rejects with a message that names the cause (401 = wrong credentials). */
  static async open(options: AriConnectionOptions, handlers: AriConnectionHandlers): Promise<AriConnection> {
    const c = new AriConnection(options, handlers);
    await c.connect();
    return c;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes the socket (clean close, then a hard one after 500 ms). */
  async close(): Promise<void> {
    const ws = this.ws;
    if (!ws || this.isClosed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 500);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, "callsight stopping");
    });
    this.finish(new Error("ARI session closed"));
  }

  /** Drops the socket at once. */
  destroy(reason?: Error): void {
    if (this.isClosed) return;
    this.finish(reason ?? new Error("ARI session closed"));
    this.ws?.terminate();
  }

  private connect(): Promise<void> {
    const o = this.options;
    const url = new URL("/ari/events", o.baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("app", o.app);
    if (o.subscribeAll ?? true) url.searchParams.set("subscribeAll", "true");
    const where = `${new URL(o.baseUrl).host}`;
    const timeoutMs = o.connectTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(url, {
        headers: { authorization: `Basic ${Buffer.from(`${o.username}:${o.secret}`).toString("base64")}` },
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
      });
      this.ws = ws;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.isClosed = true;
        ws.terminate();
        reject(err);
      };
      ws.on("unexpected-response", (_req, res) => {
        const status = res.statusCode ?? 0;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 400) body += chunk;
        });
        res.on("end", () => {
          let message = body;
          try {
            message = String((JSON.parse(body) as { message?: unknown }).message ?? body);
          } catch {
            // not JSON
          }
          fail(
            new Error(
              status === 401
                ? `ARI login failed at ${where}: 401 Unauthorized (check the ARI username and secret in ari.conf)`
                : `ARI ${where}: the events WebSocket was refused: ${status} ${message}`.trim(),
            ),
          );
        });
        res.on("error", () => fail(new Error(`ARI ${where}: the events WebSocket was refused: ${status}`)));
      });
      ws.on("open", () => {
        if (settled) return;
        settled = true;
        this.opened = true;
        this.startKeepAlive();
        resolve();
      });
      ws.on("message", (data: WebSocket.RawData) => {
        if (this.isClosed) return;
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString("utf8")
          : Buffer.isBuffer(data)
            ? data.toString("utf8")
            : Buffer.from(new Uint8Array(data)).toString("utf8");
        try {
          this.handlers.message(text);
        } catch (err) {
          o.logger?.error({ err }, "ARI message handler failed");
        }
      });
      ws.on("pong", () => {
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
      });
      ws.on("error", (err) => {
        if (!settled) fail(new Error(`ARI ${where}: ${err.message}`));
        else this.finish(err);
      });
      ws.on("close", (code, reason) => {
        if (!settled) fail(new Error(`ARI ${where}: the events WebSocket closed before it opened (${code})`));
        const text = reason.toString("utf8");
        this.finish(new Error(`${ARI_CONNECTION_LOST} (${code}${text ? ` ${text}` : ""})`));
      });
    });
  }

  private startKeepAlive(): void {
    const every = this.options.pingIntervalMs ?? 20_000;
    if (every <= 0) return;
    const pongTimeoutMs = this.options.pongTimeoutMs ?? 10_000;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || this.isClosed || this.pongTimer) return;
      this.pongTimer = setTimeout(() => {
        this.options.logger?.warn("ARI keep-alive failed (no pong); closing the WebSocket");
        this.destroy(new Error(`ARI keep-alive failed: no pong within ${pongTimeoutMs} ms`));
      }, pongTimeoutMs);
      this.pongTimer.unref();
      try {
        ws.ping();
      } catch {
        // the close event follows
      }
    }, every);
    this.pingTimer.unref();
  }

  private finish(reason: Error): void {
    this.isClosed = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
    // Only a session that opened reports its end (a failed open rejects instead), and only once.
    if (!this.opened || this.notified) return;
    this.notified = true;
    try {
      this.handlers.closed?.(reason);
    } catch (err) {
      this.options.logger?.error({ err }, "ARI close handler failed");
    }
  }
}
