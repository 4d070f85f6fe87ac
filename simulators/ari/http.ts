// The ARI server's HTTP side: authentication as Asterisk's (Basic, or `api_key=user:secret` in the
// query), JSON replies and errors (`{"message": …}`), and the `/ari/events?app=…` WebSocket upgrade
// with Asterisk's refusals.

import type http from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import type { AriServerStats, Client } from "./types.js";

/** A REST error: its status and Asterisk's message. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Credentials {
  username: string;
  secret: string;
}

export function authorized(req: http.IncomingMessage, url: URL, credentials: Credentials): boolean {
  const header = req.headers.authorization ?? "";
  if (header.startsWith("Basic ")) {
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    return decoded === `${credentials.username}:${credentials.secret}`;
  }
  const key = url.searchParams.get("api_key");
  return key === `${credentials.username}:${credentials.secret}`;
}

export function reply(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** What the upgrade reads and records on the server. */
export interface UpgradeHost {
  readonly wss: WebSocketServer | undefined;
  readonly clients: Set<Client>;
  credentials(): Credentials;
  readonly stats: AriServerStats;
  readonly connectTimes: number[];
  readonly upgrades: string[];
}

export function upgrade(host: UpgradeHost, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? "/", "http://x");
  host.connectTimes.push(Date.now());
  host.upgrades.push(`${url.pathname}${url.search}`);
  if (url.pathname !== "/ari/events") {
    socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  if (!authorized(req, url, host.credentials())) {
    host.stats.authFailures++;
    const body = JSON.stringify({ message: "Authentication required" });
    socket.end(
      `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Basic realm="Asterisk REST Interface"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return;
  }
  const app = url.searchParams.get("app") ?? "";
  if (!app) {
    const body = JSON.stringify({ message: "Invalid application provided in route." });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return;
  }
  host.wss?.handleUpgrade(req, socket, head, (ws) => {
    const client: Client = {
      ws,
      app: app.split(",")[0] as string,
      subscribeAll: url.searchParams.get("subscribeAll") === "true",
    };
    host.clients.add(client);
    host.stats.connects++;
    ws.on("close", () => host.clients.delete(client));
    ws.on("error", () => host.clients.delete(client));
  });
}
