// The HTTP/WebSocket server: the board, the stream, operations, the admin console and the audit log.

import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { RecordingOutbox } from "../recording/outbox.js";
import type { RecordingIndex } from "../recording/recording-index.js";
import type { RecordingQueue } from "../recording/recording-queue.js";
import type { RecordingService } from "../recording/recording-service.js";
import { RecordingStore } from "../recording/recording-store.js";
import type { Callsight } from "../runtime/callsight.js";
import type { AuditLog } from "../stores/audit-log.js";
import { AdminService } from "./admin/admin-service.js";
import { adminRoutes } from "./admin/routes.js";
import { auditRoutes } from "./audit/routes.js";
import { Authentication, type AuthSettings, pathOf } from "./auth/authenticate.js";
import type { TokenStore } from "./auth/token-store.js";
import { BoardHub } from "./board/board-hub.js";
import { boardRoutes } from "./board/routes.js";
import { STREAM_SOCKET_OPTIONS, streamSocketErrorHandler } from "./board/viewer-socket.js";
import { opsMetrics } from "./health/metrics.js";
import { opsRoutes } from "./health/routes.js";
import { historyRoutes } from "./history/routes.js";
import { handleErrors, redisUnavailableAs503, v1Area } from "./http-errors.js";
import { openApiDocument } from "./openapi.js";
import { OperationsService } from "./operations/operations-service.js";
import { operationRoutes } from "./operations/routes.js";
import { QueueMemberService } from "./queues/queue-member-service.js";
import { queueRoutes } from "./queues/routes.js";
import { audioRoute, type GrantOptions, type PlaybackDeps, RecordingGrants } from "./recordings/audio.js";
import { recordingRoutes } from "./recordings/routes.js";
import { checkWebSocketOrigin, securityHeaders } from "./security.js";
import { statusRoutes } from "./status/routes.js";
import { StatusService, type StatusServiceOptions } from "./status/status-service.js";

export interface ApiOptions {
  callsight: Callsight;
  tokens: TokenStore;
  audit: AuditLog;
  logger: Logger;
  heartbeatMs?: number;
  flushMs?: number;
  /** Unsent bytes a board stream may hold before its viewer counts as slow (default 1 MiB; viewer-socket.ts). */
  viewerBufferBytes?: number;
  monitoringBeep?: boolean;
  /**
   * An HTTP server already listening to serve on (`serve` listens before anything else, so that a taken
   * address stops it before it connects to a PBX); closed with the API. Default: Fastify's, for app.listen.
   */
  server?: Server;
  /** Failed-authentication limits (default: the configuration's `auth`). */
  auth?: AuthSettings;
  /** Users' statuses: the clock, how often end times are looked for, who carries them out (status/). */
  status?: Partial<Pick<StatusServiceOptions, "now" | "pollMs" | "claimMs" | "isOwner">>;
  recording?: {
    service: RecordingService;
    queue: RecordingQueue;
    index: RecordingIndex;
    outbox?: RecordingOutbox;
    /** Where the audio is played from (default: the configuration's `recording.store`). */
    store?: RecordingStore;
    /** How long play and download links last (recordings/audio.ts). */
    grants?: GrantOptions;
  };
}

export interface Api {
  app: FastifyInstance;
  hub: BoardHub;
  /** Users' chosen statuses (status/status-service.ts). */
  status: StatusService;
  /** Every route the server declares (pages, API, WebSocket), as registered. */
  routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

function webAsset(name: string): string {
  // From src/api (tests) or dist/src/api (built): the web/ folder is at the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "web", name);
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
    dir = dirname(dir);
  }
  throw new Error(
    name.startsWith("dist/")
      ? `the web pages are not built (web/${name} is missing): run npm run build`
      : `web asset ${name} not found`,
  );
}

export async function buildApi(options: ApiOptions): Promise<Api> {
  const { callsight, tokens, audit } = options;
  const server = options.server ? listeningServer(options.server) : undefined;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Operations and settings changes go to the audit log; per-request lines would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    ...(server ? { serverFactory: server.factory } : {}),
    // Behind a reverse proxy, the client's address (for the failed-authentication limit) is in X-Forwarded-For.
    ...(callsight.config.auth.trustedProxies.length > 0
      ? { trustProxy: callsight.config.auth.trustedProxies }
      : {}),
  }) as unknown as FastifyInstance;
  // Before any plugin: every 5xx logged with the request id; a bad body (too deep, not JSON) a 400.
  handleErrors(app);
  const routes: { method: string; url: string }[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  // First: every response carries the security headers, whatever answers it.
  await securityHeaders(app);
  await app.register(websocket, { options: STREAM_SOCKET_OPTIONS, errorHandler: streamSocketErrorHandler() });
  // After the WebSocket plugin (which ends a refused upgrade's socket once answered), before any route.
  checkWebSocketOrigin(app, callsight.config.http.allowedOrigins);
  const hub = new BoardHub(() => callsight.directory, callsight.model, { flushMs: options.flushMs ?? 5 });
  callsight.onModelChange((changes) => hub.modelChanged(changes));
  callsight.onDirectoryChange(() => hub.directoryChanged());
  const heartbeat = setInterval(() => hub.heartbeat(), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  // A user's chosen status: set on the PBX, shown as the PBX reports it, set back when its end time passes.
  const status = new StatusService(callsight, audit, {
    prefix: tokens.prefix,
    tell: (viewer, message) => hub.tell(viewer, message),
    logger: options.logger,
    ...options.status,
  });
  await status.start();

  const recording = options.recording;
  const playback: PlaybackDeps | undefined = recording && {
    index: recording.index,
    store: recording.store ?? new RecordingStore(callsight.config.recording.store),
    grants: new RecordingGrants(tokens.redis, tokens.prefix, recording.grants),
    audit,
    tokens,
    directory: () => callsight.directory,
  };
  const metrics = opsMetrics(callsight, hub, recording);

  // The board and the admin console: static pages whose scripts read everything through the API.
  const pages: [string, string, string][] = [
    ["/", "board.html", "text/html; charset=utf-8"],
    ["/admin", "admin.html", "text/html; charset=utf-8"],
    ["/callsight.css", "callsight.css", "text/css; charset=utf-8"],
    ["/board.css", "board.css", "text/css; charset=utf-8"],
    ["/admin.css", "admin.css", "text/css; charset=utf-8"],
    ["/board.js", "dist/board.js", "text/javascript; charset=utf-8"],
    ["/admin.js", "dist/admin.js", "text/javascript; charset=utf-8"],
  ];
  for (const [path, file, type] of pages) {
    const body = webAsset(file);
    app.get(path, async (_req, reply) => reply.type(type).header("cache-control", "no-cache").send(body));
  }
  opsRoutes(app, callsight, metrics);
  app.get("/openapi.json", async () => openApiDocument());

  const operations = new OperationsService(callsight, audit, {
    monitoringBeep: options.monitoringBeep ?? false,
    onOutcome: (operation, outcome) => metrics.operation(operation, outcome),
    onLater: (viewer, operation, action, outcome) =>
      hub.tell(viewer, { type: "operation", operation, action, ...outcome }),
    ...(recording
      ? { onDemand: (pbx, call, user) => recording.service.enforcer.markOnDemand(pbx, call, user) }
      : {}),
  });
  const admin = new AdminService(callsight, audit);
  const auth = new Authentication(tokens, callsight, options.logger, options.auth ?? callsight.config.auth);
  await auth.start();
  callsight.onDirectoryChange(() => auth.sockets.directoryChanged());
  // Fastify's own 404 body repeats the URL, query (and a token in it) included.
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .send({ error: "not-found", message: `no route ${request.method} ${pathOf(request.url)}` }),
  );
  await app.register(async (v1) => {
    // Every /v1 request needs Redis (its token is checked there first): without it, 503 with the reason.
    v1.setErrorHandler(redisUnavailableAs503(v1Area));
    await auth.register(v1);
    v1.get("/v1/me", async (request) => request.viewer);
    boardRoutes(v1, hub, auth.sockets, {
      ...(options.viewerBufferBytes !== undefined ? { maxBufferedBytes: options.viewerBufferBytes } : {}),
      onSlow: (event) => metrics.slowViewer(event),
    });
    operationRoutes(v1, operations);
    statusRoutes(v1, status, options.status?.now);
    auditRoutes(v1, audit);
    historyRoutes(v1, callsight.history, () => callsight.directory);
    queueRoutes(v1, () => callsight.directory, callsight.model, new QueueMemberService(callsight, audit));
    adminRoutes(v1, admin, tokens, audit);
    if (recording) recordingRoutes(v1, recording.index, recording.queue, () => callsight.directory, playback);
  });
  // The audio of a recording, for an <audio src> that cannot send the bearer token: outside the token's
  // scope, on a short-lived link for one recording that the authenticated POST .../play or /download issues.
  if (playback) {
    await app.register(async (media) => {
      media.setErrorHandler(redisUnavailableAs503(v1Area));
      audioRoute(media, playback);
    });
  }

  // On a server listening since before the start: it takes the requests once every route is in place.
  if (server) {
    await app.ready();
    server.attach();
  }

  return {
    app,
    hub,
    status,
    routes,
    async close() {
      clearInterval(heartbeat);
      await status.close();
      auth.close();
      hub.close();
      await app.close();
      // Fastify closes only a server it listened on itself.
      if (options.server) await closeServer(options.server);
    },
  };
}

/** Fastify's serverFactory for a server created (and listening) before the app, and the switch to it. */
function listeningServer(server: Server) {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  return {
    factory(h: (req: IncomingMessage, res: ServerResponse) => void): Server {
      handler = h;
      return server;
    },
    /** From now on the app answers (until now, whoever listened first did: `serve` says it is starting). */
    attach(): void {
      if (!handler) throw new Error("the app was not created on this server");
      server.removeAllListeners("request");
      server.on("request", handler);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
