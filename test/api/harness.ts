// A real Callsight API on 127.0.0.1 with a real Redis, for API tests.

import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import WebSocket from "ws";
import type { AuthSettings } from "../../src/api/auth/authenticate.js";
import { TokenStore } from "../../src/api/auth/token-store.js";
import { type Api, type ApiOptions, buildApi } from "../../src/api/server.js";
import { parseConfig } from "../../src/config/load.js";
import type { PbxEvent } from "../../src/domain/events.js";
import type { PbxDriver } from "../../src/pbx/driver.js";
import { Callsight } from "../../src/runtime/callsight.js";
import { AuditLog } from "../../src/stores/audit-log.js";
import { testRedis } from "../support/redis.js";

export interface Harness {
  callsight: Callsight;
  api: Api;
  base: string;
  tokens: TokenStore;
  redis: Redis;
  prefix: string;
  token(user: string): Promise<string>;
  request(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

export function events(name: string): PbxEvent[] {
  return readFileSync(`test/fixtures/events/${name}.events.jsonl`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PbxEvent);
}

export async function startHarness(
  options: {
    drivers?: PbxDriver[];
    prefix?: string;
    config?: string;
    /** Instead of a silent one (to read what the server logs). */
    logger?: Logger;
    viewerBufferBytes?: number;
    /** Failed-authentication limits (default: the example configuration's). */
    auth?: AuthSettings;
    /** The token store's clock (token expiry). */
    now?: () => number;
    /** Users' statuses: clock, poll interval, who carries end times out (api/status/). */
    status?: ApiOptions["status"];
  } = {},
): Promise<Harness> {
  const { redis, prefix: fresh } = await testRedis();
  const prefix = options.prefix ?? fresh;
  const config = parseConfig(
    options.config ?? readFileSync("callsight.example.yaml", "utf8"),
    "callsight.example.yaml",
    {},
  );
  const logger = options.logger ?? pino({ level: "silent" });
  const callsight = new Callsight({ config, redis, prefix, drivers: options.drivers ?? [], logger });
  await callsight.start();
  const tokens = new TokenStore(redis, prefix, options.now ? { now: options.now } : {});
  const audit = new AuditLog(redis, prefix);
  const api = await buildApi({
    callsight,
    tokens,
    audit,
    logger,
    flushMs: 10,
    heartbeatMs: 60_000,
    ...(options.viewerBufferBytes !== undefined ? { viewerBufferBytes: options.viewerBufferBytes } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.status ? { status: options.status } : {}),
  });
  await api.app.listen({ host: "127.0.0.1", port: 0 });
  const port = (api.app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const cache = new Map<string, string>();
  return {
    callsight,
    api,
    base,
    tokens,
    redis,
    prefix,
    async token(user) {
      let t = cache.get(user);
      if (!t) {
        t = await tokens.create(user);
        cache.set(user, t);
      }
      return t;
    },
    async request(method, path, token, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text };
    },
    async close() {
      await api.close();
      await callsight.stop();
      redis.disconnect();
    },
  };
}

/** A WebSocket board client that records every message. */
export class StreamClient {
  readonly messages: any[] = [];
  private waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  readonly socket: WebSocket;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (data) => {
      const msg = JSON.parse(String(data));
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  next(pred: (m: any) => boolean, timeoutMs = 2000): Promise<any> {
    const found = this.messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
