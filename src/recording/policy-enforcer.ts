// Audit and repair of the recording policy. The PBX enforces the policy on its own (the dialplan reads
// it from the PBX's database), so this is the second line: a few seconds after a call is answered,
// a call the policy covers that is not being recorded gets a recording, and a call no policy covers
// that is being recorded (and that nobody started on demand) is stopped. Both are counted and audited.

import type { Directory } from "../domain/directory.js";
import type { CallView, ModelChange } from "../domain/live-model.js";
import { mustRecord } from "../domain/recording-policy.js";
import type { PbxDriver } from "../pbx/driver.js";

export interface PolicyRepair {
  action: "recording.repair-start" | "recording.repair-stop";
  pbx: string;
  call: string;
  leg: string;
  because: string[];
  outcome: "accepted" | "failed";
  message?: string;
}

export interface PolicyEnforcerDeps {
  directory: () => Directory;
  call: (pbx: string, id: string) => CallView | undefined;
  driver: (pbx: string) => PbxDriver | undefined;
  onRepair: (repair: PolicyRepair) => void;
  /** Time to let the PBX's own recording start before Callsight steps in. */
  graceMs?: number;
}

export class RecordingPolicyEnforcer {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly onDemand = new Map<string, string>();
  readonly counters = { repairsStarted: 0, repairsStopped: 0, repairFailures: 0 };
  private readonly graceMs: number;

  constructor(private readonly deps: PolicyEnforcerDeps) {
    this.graceMs = deps.graceMs ?? 5000;
  }

  /** A user started (or stopped) a recording on demand: the policy must not undo it. */
  markOnDemand(pbx: string, callId: string, user: string | undefined): void {
    this.applyMark(pbx, callId, user);
    for (const listener of this.markListeners) listener(pbx, callId, user);
  }

  /** A mark made elsewhere (another instance): recorded here, not announced again. */
  applyMark(pbx: string, callId: string, user: string | undefined): void {
    const k = key(pbx, callId);
    if (user === undefined) this.onDemand.delete(k);
    else this.onDemand.set(k, user);
  }

  /** Told of every mark made on this instance; returns the function that stops telling. */
  onMark(listener: (pbx: string, callId: string, user: string | undefined) => void): () => void {
    this.markListeners.add(listener);
    return () => this.markListeners.delete(listener);
  }

  private readonly markListeners = new Set<(pbx: string, callId: string, user: string | undefined) => void>();

  onDemandBy(pbx: string, callId: string): string | undefined {
    return this.onDemand.get(key(pbx, callId));
  }

  modelChanged(changes: readonly ModelChange[]): void {
    for (const c of changes) {
      if (c.kind === "call" && c.call.answered) this.schedule(c.call);
      else if (c.kind === "call-ended" || c.kind === "call-gone") {
        const k = c.kind === "call-ended" ? key(c.call.pbx, c.call.id) : key(c.pbx, c.id);
        this.cancel(k);
        this.onDemand.delete(k);
      }
    }
  }

  /** Checks a call now; returns what it did (also used by tests). */
  async check(pbx: string, callId: string): Promise<PolicyRepair | undefined> {
    const call = this.deps.call(pbx, callId);
    if (!call || call.state === "ended" || !call.answered) return undefined;
    const requirement = mustRecord(this.deps.directory(), call);
    const driver = this.deps.driver(pbx);
    if (!driver) return undefined;
    if (requirement.required && !call.recording) {
      const leg = recordingLegFor(call);
      if (!leg) return undefined;
      const outcome = await driver.execute({
        op: "startRecording",
        req: {
          leg: leg.leg,
          callId: call.id,
          // Named like the dialplan's files: the call, then the extension whose policy asked for it.
          file: `${safe(call.id)}-${this.extensionOf(requirement.because[0]) ?? leg.number ?? "call"}-repair-${Date.now()}.wav`,
        },
      });
      return this.report("recording.repair-start", call, leg.leg, requirement.because, outcome);
    }
    if (!requirement.required && call.recording && !this.onDemand.has(key(pbx, callId))) {
      const leg = call.legs.find((l) => l.recording);
      if (!leg) return undefined;
      const outcome = await driver.execute({ op: "stopRecording", req: { leg: leg.leg } });
      return this.report("recording.repair-stop", call, leg.leg, [], outcome);
    }
    return undefined;
  }

  private extensionOf(user: string | undefined): string | undefined {
    return user === undefined ? undefined : this.deps.directory().users.get(user)?.extension;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private report(
    action: PolicyRepair["action"],
    call: CallView,
    leg: string,
    because: string[],
    outcome: { status: string; message?: string },
  ): PolicyRepair {
    const ok = outcome.status === "accepted";
    if (!ok) this.counters.repairFailures++;
    else if (action === "recording.repair-start") this.counters.repairsStarted++;
    else this.counters.repairsStopped++;
    const repair: PolicyRepair = {
      action,
      pbx: call.pbx,
      call: call.id,
      leg,
      because,
      outcome: ok ? "accepted" : "failed",
      ...(!ok && outcome.message ? { message: outcome.message } : {}),
    };
    this.deps.onRepair(repair);
    return repair;
  }

  private schedule(call: CallView): void {
    const k = key(call.pbx, call.id);
    if (this.timers.has(k)) return;
    const timer = setTimeout(() => {
      this.timers.delete(k);
      this.check(call.pbx, call.id).catch(() => {
        this.counters.repairFailures++;
      });
    }, this.graceMs);
    timer.unref?.();
    this.timers.set(k, timer);
  }

  private cancel(k: string): void {
    const t = this.timers.get(k);
    if (t) clearTimeout(t);
    this.timers.delete(k);
  }
}

/**
 * The leg to record so the recording follows the call: the outside party's leg stays in the call across
 * blind and attended transfers, pickups and parking; on an internal call, the caller's leg (a pickup or a
 * transfer replaces the callee, rarely the caller).
 */
export function recordingLegFor(call: Pick<CallView, "legs">): CallView["legs"][number] | undefined {
  return call.legs.find((l) => l.external) ?? call.legs.find((l) => l.state !== "parked") ?? call.legs[0];
}

function key(pbx: string, callId: string): string {
  return `${pbx}\u0000${callId}`;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_");
}
