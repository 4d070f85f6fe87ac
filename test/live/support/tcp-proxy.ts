// A TCP proxy on loopback between Callsight and a PBX port (AMI), so a test can cut the link the way a
// network does: `cut()` drops every connection and refuses new ones until `restore()`. Both sides see
// their socket closed; the PBX keeps running and keeps its calls.

import { createConnection, createServer, type Server, type Socket } from "node:net";
import { freePort } from "./processes.js";

export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Connections made through the proxy so far. */
  connections = 0;

  private constructor(
    readonly port: number,
    readonly target: number,
  ) {}

  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.restore();
    return proxy;
  }

  /** Connections open through the proxy now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Accepts connections again (after `cut`). */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  /** Drops every connection (both ends closed at once) and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private accept(client: Socket): void {
    this.connections++;
    const upstream = createConnection({ host: "127.0.0.1", port: this.target });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
