// /healthz (the process serves), /readyz (every PBX connected and the model resynced from it since, its
// events applied — clustered, an instance without the PBX lease may apply none; one cut off from Redis
// applies its own connection's and says so —, Redis answering) and /metrics. No token: these are for the
// load balancer and the monitoring system.

import type { FastifyInstance } from "fastify";
import type { Callsight } from "../../runtime/callsight.js";
import type { OpsMetrics } from "./metrics.js";

export function opsRoutes(app: FastifyInstance, callsight: Callsight, metrics: OpsMetrics): void {
  app.get("/healthz", async () => ({
    status: "ok",
    pbx: callsight.drivers.map((d) => d.status()),
  }));

  /** What /readyz last answered, so that only a change of readiness is logged (it is polled). */
  let lastProblems = "";
  app.get("/readyz", async (request, reply) => {
    const problems: string[] = [];
    const pbx = callsight.drivers.map((d) => {
      const status = d.status();
      const resyncedAt = callsight.resynced(d.pbx);
      // Clustered: this instance may apply no events at all (no lease, a lease change in progress, …).
      const cluster = (status as { cluster?: { problem?: string; isolated?: string } }).cluster;
      // Cut off from Redis, it applies its own connection's events: live here, not shared (not ready).
      if (cluster?.isolated) problems.push(`pbx ${d.pbx}: ${cluster.isolated}`);
      if (cluster?.problem) problems.push(`pbx ${d.pbx}: not applying its events (${cluster.problem})`);
      else if (!status.connected)
        problems.push(`pbx ${d.pbx}: not connected${status.lastError ? ` (${status.lastError})` : ""}`);
      else if (resyncedAt === undefined) problems.push(`pbx ${d.pbx}: connected, not resynced yet`);
      return { pbx: d.pbx, connected: status.connected, ...(resyncedAt !== undefined ? { resyncedAt } : {}) };
    });
    let redis = "ok";
    try {
      await withTimeout(callsight.redis.ping(), 1000);
    } catch (err) {
      redis = err instanceof Error ? err.message : String(err);
      problems.push(`redis: ${redis}`);
    }
    const ready = problems.length === 0;
    const now = problems.join("; ");
    if (now !== lastProblems) {
      if (ready) request.log.info("ready: /readyz answers 200 again");
      else request.log.warn({ problems }, `not ready: /readyz answers 503 (${now})`);
      lastProblems = now;
    }
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? "ready" : "not-ready", pbx, redis, problems });
  });

  app.get("/metrics", async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
