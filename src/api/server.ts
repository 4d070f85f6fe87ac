// The HTTP/WebSocket server: the board, the stream, operations, the admin console and the audit log.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/audit-log.js";
import type { RecordingOutbox } from "../recording/outbox.js";
import type { RecordingIndex } from "../recording/recording-index.js";
import type { RecordingQueue } from "../recording/recording-queue.js";
import type { RecordingService } from "../recording/recording-service.js";
import type { Callsight } from "../runtime/callsight.js";
import { AdminService } from "./admin/admin-service.js";
import { adminRoutes } from "./admin/routes.js";
import { auditRoutes } from "./audit/routes.js";
import { authenticator } from "./auth/authenticate.js";
import type { TokenStore } from "./auth/token-store.js";
import { BoardHub } from "./board/board-hub.js";
import { boardRoutes } from "./board/routes.js";
import { redisUnavailableAs503, v1Area } from "./http-errors.js";
import { openApiDocument } from "./openapi.js";
import { OperationsService } from "./operations/operations-service.js";
import { operationRoutes } from "./operations/routes.js";
import { opsMetrics } from "./ops/metrics.js";
import { opsRoutes } from "./ops/routes.js";
import { recordingRoutes } from "./recordings/routes.js";

export interface ApiOptions {
  callsight: Callsight;
  tokens: TokenStore;
  audit: AuditLog;
  logger: Logger;
  heartbeatMs?: number;
  flushMs?: number;
  monitoringBeep?: boolean;
  recording?: {
    service: RecordingService;
    queue: RecordingQueue;
    index: RecordingIndex;
    outbox?: RecordingOutbox;
  };
}

export interface Api {
  app: FastifyInstance;
  hub: BoardHub;
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
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Operations and settings changes go to the audit log; per-request lines would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
  }) as unknown as FastifyInstance;
  await app.register(websocket);
  const hub = new BoardHub(() => callsight.directory, callsight.model, { flushMs: options.flushMs ?? 5 });
  callsight.onModelChange((changes) => hub.modelChanged(changes));
  callsight.onDirectoryChange(() => hub.directoryChanged());
  const heartbeat = setInterval(() => hub.heartbeat(), options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  const recording = options.recording;
  const metrics = opsMetrics(callsight, hub, recording);

  // The board and the admin console: static pages whose scripts read everything through the API.
  const pages: [string, string, string][] = [
    ["/", "board.html", "text/html; charset=utf-8"],
    ["/admin", "admin.html", "text/html; charset=utf-8"],
    ["/callsight.css", "callsight.css", "text/css; charset=utf-8"],
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
    ...(recording
      ? { onDemand: (pbx, call, user) => recording.service.enforcer.markOnDemand(pbx, call, user) }
      : {}),
  });
  const admin = new AdminService(callsight, audit);
  await app.register(async (v1) => {
    // Every /v1 request needs Redis (its token is checked there first): without it, 503 with the reason.
    v1.setErrorHandler(redisUnavailableAs503(v1Area));
    v1.addHook("preHandler", authenticator(tokens, callsight));
    v1.get("/v1/me", async (request) => request.viewer);
    boardRoutes(v1, hub);
    operationRoutes(v1, operations);
    auditRoutes(v1, audit);
    adminRoutes(v1, admin, tokens);
    if (recording) recordingRoutes(v1, recording.index, recording.queue);
  });

  return {
    app,
    hub,
    async close() {
      clearInterval(heartbeat);
      hub.close();
      await app.close();
    },
  };
}
