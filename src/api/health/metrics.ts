// /metrics: Prometheus figures for the people who run Callsight — PBX events in (by type), board
// messages out, the model's size, viewers, operation outcomes, reconnects, the recording pipeline and,
// with several instances, the cluster (src/cluster/cluster-metrics.ts).

import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { registerClusterMetrics } from "../../cluster/cluster-metrics.js";
import type { RecordingOutbox } from "../../recording/outbox.js";
import { registerRecordingMetrics } from "../../recording/recording-metrics.js";
import type { RecordingQueue } from "../../recording/recording-queue.js";
import type { RecordingService } from "../../recording/recording-service.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { BoardHub } from "../board/board-hub.js";
import type { SlowViewerEvent } from "../board/viewer-socket.js";

export interface OpsMetrics {
  registry: Registry;
  /** Count an operation attempt's outcome. */
  operation(operation: string, outcome: string): void;
  /** Count a board viewer that fell behind its send-buffer bound, caught up, or was disconnected. */
  slowViewer(event: SlowViewerEvent): void;
}

export function opsMetrics(
  callsight: Callsight,
  hub: BoardHub,
  recording?: { service: RecordingService; queue: RecordingQueue; outbox?: RecordingOutbox },
): OpsMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "callsight_viewers_connected",
    help: "open board streams",
    registers: [registry],
    collect() {
      this.set(hub.connectedViewers);
    },
  });
  new Gauge({
    name: "callsight_board_messages_sent",
    help: "messages sent to board streams since start, by type",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      for (const [type, n] of Object.entries(hub.sent)) this.set({ type }, n);
    },
  });
  new Gauge({
    name: "callsight_model_size",
    help: "what the live model holds: legs and calls",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      const { legs, calls } = callsight.model.size;
      this.set({ kind: "legs" }, legs);
      this.set({ kind: "calls" }, calls);
    },
  });
  new Gauge({
    name: "callsight_pbx_connected",
    help: "1 when the PBX connection is up",
    labelNames: ["pbx"],
    registers: [registry],
    collect() {
      for (const d of callsight.drivers) this.set({ pbx: d.pbx }, d.status().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: "callsight_pbx_reconnects",
    help: "times the PBX connection was made again since start",
    labelNames: ["pbx"],
    registers: [registry],
    collect() {
      for (const d of callsight.drivers) this.set({ pbx: d.pbx }, d.status().reconnects);
    },
  });
  new Gauge({
    name: "callsight_pbx_malformed_frames",
    help: "PBX frames skipped because they could not be parsed or used, since start (this instance's own links)",
    labelNames: ["pbx"],
    registers: [registry],
    collect() {
      for (const d of callsight.drivers) this.set({ pbx: d.pbx }, d.status().malformedFrames ?? 0);
    },
  });
  const events = new Counter({
    name: "callsight_pbx_events_total",
    help: "normalized PBX events applied to the model, by PBX and type",
    labelNames: ["pbx", "type"],
    registers: [registry],
  });
  callsight.onModelChange((_changes, applied) => {
    for (const e of applied) events.inc({ pbx: e.pbx, type: e.type });
  });
  const operations = new Counter({
    name: "callsight_operations_total",
    help: "operation attempts by operation and outcome (accepted, refused, failed)",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const slowViewers = new Counter({
    name: "callsight_board_slow_viewers_total",
    help: "board viewers whose unsent messages passed the bound (behind), that caught up and got a snapshot (resnapshot), or were closed with 4008 (disconnected)",
    labelNames: ["event"],
    registers: [registry],
  });
  registerClusterMetrics(registry, callsight.drivers);
  if (recording) {
    registerRecordingMetrics(registry, recording.queue, recording.outbox ? { outbox: recording.outbox } : {});
    new Gauge({
      name: "callsight_recording_policy_repairs",
      help: "recordings Callsight started (policy required one) or stopped (no policy covered it)",
      labelNames: ["action"],
      registers: [registry],
      collect() {
        const c = recording.service.enforcer.counters;
        this.set({ action: "started" }, c.repairsStarted);
        this.set({ action: "stopped" }, c.repairsStopped);
        this.set({ action: "failed" }, c.repairFailures);
      },
    });
  }
  return {
    registry,
    operation: (operation, outcome) => operations.inc({ operation, outcome }),
    slowViewer: (event) => slowViewers.inc({ event }),
  };
}
