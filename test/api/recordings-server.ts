// A real Callsight API with recordings, for the playback tests (API and browser): the example directory, a
// real Redis, a real store in a temporary directory, and recordings put there by the real finalizer (a real
// WAV file checksummed, moved into the store and indexed), as the worker does.

import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Redis } from "ioredis";
import pino from "pino";
import { TokenStore } from "../../src/api/auth/token-store.js";
import type { GrantOptions } from "../../src/api/recordings/audio.js";
import { type Api, buildApi } from "../../src/api/server.js";
import { parseConfig } from "../../src/config/load.js";
import type { Party } from "../../src/domain/calls.js";
import { RecordingFinalizer } from "../../src/recording/recording-finalizer.js";
import { RecordingIndex } from "../../src/recording/recording-index.js";
import { type FinalizeRecording, finalizeJobId } from "../../src/recording/recording-job.js";
import { RecordingQueue } from "../../src/recording/recording-queue.js";
import { RecordingService } from "../../src/recording/recording-service.js";
import { RecordingStore } from "../../src/recording/recording-store.js";
import { Callsight } from "../../src/runtime/callsight.js";
import { AuditLog } from "../../src/stores/audit-log.js";
import { tempDir, wavBytes } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

export const CALLER: Party = { number: "+15550100", name: "Jane Customer", external: true };

/** A party of the example directory (callsight.example.yaml). */
export function user(id: string, name: string): Party {
  return { user: id, number: id, name, external: false };
}

export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  body: any;
}

export interface RecordingsServer {
  api: Api;
  base: string;
  redis: Redis;
  prefix: string;
  audit: AuditLog;
  index: RecordingIndex;
  store: RecordingStore;
  tokens: TokenStore;
  token(user: string): Promise<string>;
  /** Stores a recording (a real WAV of `ms` milliseconds) through the finalizer; returns its id and bytes. */
  record(job: Partial<FinalizeRecording>, ms?: number): Promise<{ id: string; bytes: Buffer }>;
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Answer>;
  close(): Promise<void>;
}

let counter = 0;

export async function startRecordingsServer(
  options: { grants?: GrantOptions } = {},
): Promise<RecordingsServer> {
  const r = await testRedis();
  const logger = pino({ level: "silent" });
  const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {});
  const callsight = new Callsight({ config, redis: r.redis, prefix: r.prefix, drivers: [], logger });
  await callsight.start();
  const tokens = new TokenStore(r.redis, r.prefix);
  const audit = new AuditLog(r.redis, r.prefix);
  const tmp = await tempDir("recordings-playback");
  const store = new RecordingStore(join(tmp.dir, "store"));
  const index = new RecordingIndex(r.redis, r.prefix);
  const queue = new RecordingQueue({ redis: r.url, prefix: r.prefix, attempts: 1 });
  const service = new RecordingService({
    settings: config.recording,
    directory: () => callsight.directory,
    call: (pbx, id) => callsight.model.call(pbx, id),
    drivers: () => callsight.drivers,
    enqueue: (j) => queue.enqueueFinalize(j),
    audit: (entry) => audit.append({ actor: "callsight", ...entry }),
    logger,
  });
  const api = await buildApi({
    callsight,
    tokens,
    audit,
    logger,
    flushMs: 10,
    heartbeatMs: 60_000,
    recording: { service, queue, index, store, ...(options.grants ? { grants: options.grants } : {}) },
  });
  await api.app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const finalizer = new RecordingFinalizer({ store, index, settleMs: 0 });
  const issued = new Map<string, string>();

  return {
    api,
    base,
    redis: r.redis,
    prefix: r.prefix,
    audit,
    index,
    store,
    tokens,
    async token(u) {
      let t = issued.get(u);
      if (!t) {
        t = await tokens.create(u);
        issued.set(u, t);
      }
      return t;
    },
    async record(over, ms = 1000) {
      counter++;
      const file = join(tmp.dir, `spool-${counter}.wav`);
      const bytes = wavBytes(ms);
      await writeFile(file, bytes);
      const startedAt = Date.UTC(2024, 4, 1, 12, 0, 0) + counter * 60_000;
      const job: FinalizeRecording = {
        pbx: "main",
        callId: `1714564800.${counter}`,
        leg: `PJSIP/1001-0000000${counter}`,
        extension: "1001",
        file,
        startedAt,
        stoppedAt: startedAt + ms,
        direction: "inbound",
        parties: [CALLER, user("1001", "Alice Sales")],
        requiredBy: ["1001"],
        ...over,
      };
      const id = finalizeJobId(job);
      await finalizer.finalize(id, job);
      return { id, bytes };
    },
    async request(method, path, o = {}) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
          ...o.headers,
        },
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString("utf8");
      let body: unknown;
      if (/json/.test(res.headers.get("content-type") ?? "")) body = JSON.parse(text);
      return { status: res.status, headers: res.headers, bytes, text, body };
    },
    async close() {
      await api.close();
      service.close();
      await callsight.stop();
      await queue.close();
      r.redis.disconnect();
      await tmp.remove();
    },
  };
}
