// Starting and stopping a whole Callsight server process (used by `serve` and `demo`).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { TokenStore } from "../api/auth/token-store.js";
import { type Api, buildApi } from "../api/server.js";
import { settleWithin } from "../cluster/bounded.js";
import { ClusteredDriver, type ClusterSettings } from "../cluster/clustered-driver.js";
import { shareOnDemandMarks } from "../cluster/on-demand-sync.js";
import { clusterSettings, type ResolvedClusterSettings } from "../cluster/settings.js";
import type { CallsightConfig } from "../config/load.js";
import type { PbxDriver } from "../pbx/driver.js";
import { DEFAULT_OUTBOX_PATH, RecordingOutbox } from "../recording/outbox.js";
import { RecordingIndex } from "../recording/recording-index.js";
import { RecordingQueue } from "../recording/recording-queue.js";
import { RecordingService } from "../recording/recording-service.js";
import { AuditLog } from "../stores/audit-log.js";
import { Callsight } from "./callsight.js";
import { driversFor } from "./drivers.js";
import { QueuePresenceLink } from "./queue-presence-link.js";

export interface ServerOptions {
  /** How long after answer the recording policy is checked (default 5 s). */
  recordingGraceMs?: number;
  /** The local outbox for recording jobs while Redis is away (default CALLSIGHT_OUTBOX or /var/lib/callsight/outbox/recordings.jsonl). */
  outboxPath?: string;
  config: CallsightConfig;
  redisUrl: string;
  prefix: string;
  host: string;
  port: number;
  logger: Logger;
  drivers?: PbxDriver[];
  /**
   * Several instances on one Redis (src/cluster/): each PBX connection is owned by one instance at a time
   * and every instance follows its events. On unless false or CALLSIGHT_CLUSTER=0.
   */
  cluster?: boolean | (ClusterSettings & { followerFinalizeDelayMs?: number });
}

export interface RunningServer {
  callsight: Callsight;
  api: Api;
  redis: Redis;
  tokens: TokenStore;
  url: string;
  /** This instance's id when clustered. */
  instance?: string;
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

/** The HTTP address cannot be listened on (taken, not this host's, not permitted). */
export class ListenError extends Error {}

/** `127.0.0.1:8080`, `[::1]:8080`. */
function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function listenProblem(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "EADDRINUSE"
      ? "the address is already in use (another process listens on it)"
      : code === "EACCES"
        ? "permission denied (ports below 1024 need privileges)"
        : code === "EADDRNOTAVAIL"
          ? "the address is not one of this host's"
          : code === "ENOTFOUND" || code === "EAI_AGAIN"
            ? `the host name ${host} cannot be resolved`
            : err instanceof Error
              ? err.message
              : String(err);
  return `cannot listen on ${hostPort(host, port)}: ${why}${code && !why.includes(code) ? ` (${code})` : ""}`;
}

/**
 * Listens on the HTTP address before anything else is started, so that a taken address ends the start
 * before it connects to Redis or a PBX (or takes a PBX lease). Until the API takes over, every request
 * gets 503 "starting".
 */
export async function listenFirst(host: string, port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(503, {
      "content-type": "application/json; charset=utf-8",
      "retry-after": "2",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    });
    res.end(JSON.stringify({ status: "starting", message: "Callsight is starting" }));
  });
  // As Fastify sets up the servers it creates.
  server.keepAliveTimeout = 72_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new ListenError(listenProblem(err, host, port));
  });
  return server;
}

function urlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${hostPort(address, port)}`;
}

/** The server's half of recording: policy to the PBX, audit and repair, finished recordings to the queue. */
function startRecording(
  callsight: Callsight,
  redis: Redis,
  audit: AuditLog,
  options: ServerOptions,
  cluster: ResolvedClusterSettings | undefined,
) {
  const { config, logger, prefix } = options;
  const outbox = new RecordingOutbox(
    options.outboxPath ?? process.env.CALLSIGHT_OUTBOX ?? DEFAULT_OUTBOX_PATH,
    logger,
  );
  const queue = new RecordingQueue({ redis: options.redisUrl, prefix, outbox, logger });
  const index = new RecordingIndex(redis, prefix);
  const service = new RecordingService({
    settings: config.recording,
    directory: () => callsight.directory,
    call: (pbx, id) => callsight.model.call(pbx, id),
    drivers: () => callsight.drivers,
    enqueue: (job) => queue.enqueueFinalize(job),
    audit: (entry) => audit.append({ actor: "callsight", ...entry }),
    logger: logger.child({ component: "recording" }),
    ...(options.recordingGraceMs !== undefined ? { graceMs: options.recordingGraceMs } : {}),
    ...(cluster
      ? {
          isOwner: (pbx: string) => {
            const driver = callsight.driver(pbx);
            return !(driver instanceof ClusteredDriver) || driver.isOwner();
          },
          appliesOwnEvents: (pbx: string) => {
            const driver = callsight.driver(pbx);
            return !(driver instanceof ClusteredDriver) || driver.appliesOwnEvents();
          },
          ...(cluster.followerFinalizeDelayMs !== undefined
            ? { followerFinalizeDelayMs: cluster.followerFinalizeDelayMs }
            : {}),
        }
      : {}),
  });
  callsight.onModelChange((changes, events) => service.observe(changes, events));
  callsight.onDirectoryChange(() => {
    void service.publishPolicy();
  });
  const flusher = outbox.startFlusher(queue);
  return { service, queue, index, outbox, flusher };
}

/** How long stop() may take at most, even while Redis (or a PBX) does not answer. */
export const STOP_WITHIN_MS = 6000;

export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    // Reconnect at least twice a second while Redis is away: a command waiting in the offline queue fails
    // (MaxRetriesPerRequestError) within about two seconds instead of eight, and Redis is used again
    // soon after it is back. Connections duplicated from this one (src/cluster) do the same.
    retryStrategy: (times) => Math.min(times * 50, 500),
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return redis;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const server = await listenFirst(options.host, options.port);
  try {
    return await startOn(server, options);
  } catch (err) {
    // Nothing may keep the process alive after a failed start (serve exits with its code).
    server.close();
    server.closeAllConnections();
    throw err;
  }
}

async function startOn(server: Server, options: ServerOptions): Promise<RunningServer> {
  const real = options.drivers ?? driversFor(options.config, options.logger);
  const redis = await connectRedis(options.redisUrl);
  const cluster = clusterSettings(options.cluster);
  const drivers = cluster
    ? real.map(
        (driver) =>
          new ClusteredDriver({
            ...cluster,
            driver,
            // A second connection to the same PBX for snapshot refreshes (not for drivers handed in).
            ...(options.drivers
              ? {}
              : {
                  createDriver: () =>
                    driversFor(options.config, options.logger).find((d) => d.pbx === driver.pbx)!,
                }),
            redis,
            prefix: options.prefix,
            logger: options.logger,
          }),
      )
    : real;
  if (cluster) {
    options.logger.info(
      { instance: cluster.instance, pbx: drivers.map((d) => d.pbx) },
      "clustered: PBX connections are owned through leases in Redis",
    );
  }
  const callsight = new Callsight({
    config: options.config,
    redis,
    prefix: options.prefix,
    drivers,
    logger: options.logger,
  });
  await callsight.start();
  const tokens = new TokenStore(redis, options.prefix);
  const audit = new AuditLog(redis, options.prefix);
  // Before the first stream entry can arrive (that takes a Redis round trip): recording sees the replay
  // from the last snapshot too, so it knows the recordings running when this instance started.
  const recording = startRecording(callsight, redis, audit, options, cluster);
  // Departments whose DND pauses their queues: carried out by the owner of each PBX's connection.
  const queueLink = new QueuePresenceLink({
    callsight,
    redis,
    prefix: options.prefix,
    audit,
    logger: options.logger,
    acts: (pbx) => {
      const driver = callsight.driver(pbx);
      return !(driver instanceof ClusteredDriver) || driver.isOwner();
    },
  });
  await queueLink.start();
  const unshare = cluster
    ? await shareOnDemandMarks({
        enforcer: recording.service.enforcer,
        redis,
        prefix: options.prefix,
        instance: cluster.instance,
        logger: options.logger,
      })
    : undefined;
  // Serve viewers only once this instance's model has caught up with each PBX's event stream.
  await Promise.all(drivers.map((d) => (d instanceof ClusteredDriver ? settle(d.ready, 10_000) : undefined)));
  const api = await buildApi({ callsight, tokens, audit, logger: options.logger, recording, server });
  await recording.service.publishPolicy();
  const address = urlOf(server);
  options.logger.info({ url: address }, "callsight is listening");
  return {
    callsight,
    api,
    redis,
    tokens,
    url: address,
    ...(cluster ? { instance: cluster.instance } : {}),
    async stop() {
      // Stop taking viewers and requests first, then let go of the PBXes and Redis. Every step is
      // bounded: with Redis away, a step waits for it only so long (SIGTERM must end the process).
      const deadline = Date.now() + STOP_WITHIN_MS;
      const step = async (what: string, run: () => Promise<unknown> | undefined, ms: number) => {
        const left = Math.max(0, Math.min(ms, deadline - Date.now()));
        if (!(await settleWithin(run(), left)))
          options.logger.warn(
            { step: what, waitedMs: left },
            "stopping: a step did not finish in time; going on",
          );
      };
      await step("closing the API", () => api.close(), 2000);
      await step("stopping the outbox flusher", () => recording.flusher.stop(), 500);
      recording.service.close();
      queueLink.stop();
      await step("letting go of the PBX connections", () => callsight.stop(), 4000);
      await step("unsharing on-demand marks", () => unshare?.(), 500);
      await step("closing the recording queue", () => recording.queue.close(), 500);
      await step("closing Redis", () => redis.quit(), 300);
      // Whatever is still waiting for Redis: let go (no reconnect attempts keep the process alive).
      redis.disconnect();
    },
  };
}

function settle(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
