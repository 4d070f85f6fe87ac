// Helpers for the cluster tests: an async waitFor and a scripted PBX driver.

import type { PbxEvent, PbxSnapshot } from "../../src/domain/events.js";
import type {
  CommandOutcome,
  DriverStatus,
  PbxCommand,
  PbxDriver,
  RecordingPolicyTable,
  RecordingRequest,
} from "../../src/pbx/driver.js";

export async function until<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 5000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function snapshot(pbx: string, at = Date.now(), legs: PbxSnapshot["legs"] = []): PbxSnapshot {
  return { pbx, at, type: "pbx.snapshot", legs, reachability: [], presence: [], dnd: [], parked: [] };
}

/** A driver that "connects" on start (delivering a snapshot) and records the commands it gets. */
export class ScriptedDriver implements PbxDriver {
  static created = 0;
  readonly id = ++ScriptedDriver.created;
  readonly commands: { op: string; req: unknown }[] = [];
  readonly policies: RecordingPolicyTable[] = [];
  private readonly listeners: ((events: PbxEvent[]) => void)[] = [];
  running = false;
  starts = 0;

  constructor(
    readonly pbx: string,
    private readonly legs: () => PbxSnapshot["legs"] = () => [],
  ) {}

  onEvents(listener: (events: PbxEvent[]) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.starts++;
    setTimeout(() => {
      if (this.running)
        this.emit([
          snapshot(this.pbx, Date.now(), this.legs()),
          { pbx: this.pbx, at: Date.now(), type: "pbx.connection", state: "up" },
        ]);
    }, 5);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.emit([{ pbx: this.pbx, at: Date.now(), type: "pbx.connection", state: "down" }]);
  }

  emit(events: PbxEvent[]): void {
    for (const l of this.listeners) l(events);
  }

  status(): DriverStatus {
    return { pbx: this.pbx, driver: "scripted", connected: this.running, reconnects: 0 };
  }

  endpointForExtension(extension: string): string {
    return `PJSIP/${extension}`;
  }

  private record(op: string, req: unknown): Promise<CommandOutcome> {
    if (!this.running) return Promise.resolve({ status: "failed", message: "not connected" });
    this.commands.push({ op, req });
    return Promise.resolve({ status: "accepted", detail: `${op} by driver ${this.id}` });
  }

  execute(command: PbxCommand): Promise<CommandOutcome> {
    return this.record(command.op, command.req);
  }
  monitor(req: unknown) {
    return this.record("monitor", req);
  }
  pickup(req: unknown) {
    return this.record("pickup", req);
  }
  pickupParked(req: unknown) {
    return this.record("pickupParked", req);
  }
  sendToIvr(req: unknown) {
    return this.record("sendToIvr", req);
  }
  startRecording(req: RecordingRequest) {
    return this.record("startRecording", req);
  }
  stopRecording(req: { leg: string }) {
    return this.record("stopRecording", req);
  }
  publishRecordingPolicy(policy: RecordingPolicyTable): Promise<CommandOutcome> {
    this.policies.push(policy);
    return Promise.resolve({ status: "accepted" });
  }
}
