// Recording in the running server: publishes each PBX's policy to the PBX, audits and repairs calls
// against it, and hands every finished recording to the finalize queue. PBX-agnostic: it sees
// normalized events, model changes and the PbxDriver interface only.

import { basename, join } from "node:path";
import type { Logger } from "pino";
import type { Directory } from "../domain/directory.js";
import type { PbxEvent } from "../domain/events.js";
import type { CallView, ModelChange } from "../domain/live-model.js";
import { mustRecord } from "../domain/recording-policy.js";
import type { PbxDriver, RecordingPolicyTable } from "../pbx/driver.js";
import { type PolicyRepair, RecordingPolicyEnforcer } from "./policy-enforcer.js";
import type { FinalizeRecording } from "./recording-job.js";
import type { EnqueueOutcome } from "./recording-queue.js";
import { type FinishedRecording, RecordingTracker } from "./recording-tracker.js";

export interface RecordingSettings {
  /** Where this process sees the directory the PBX writes recordings into. */
  directory: string;
  beepSeconds: number;
  departments: Record<string, { beepSeconds?: number }>;
}

export interface RecordingServiceDeps {
  settings: RecordingSettings;
  directory: () => Directory;
  call: (pbx: string, id: string) => CallView | undefined;
  drivers: () => readonly PbxDriver[];
  enqueue: (job: FinalizeRecording) => Promise<EnqueueOutcome>;
  audit: (entry: {
    action: string;
    target: string;
    outcome: "accepted" | "failed";
    reason?: string;
    detail: Record<string, unknown>;
  }) => Promise<unknown>;
  logger: Logger;
  graceMs?: number;
  /**
   * Several instances on one Redis: whether this instance owns the PBX connection. Policy repairs run on
   * the owner only (a repair done twice is a second recording). A finished recording is queued by the
   * owner at once and by every other instance `followerFinalizeDelayMs` later, as a backstop for an owner
   * that died in between; the job id is the same, so the backstop is a no-op when the owner did it.
   */
  isOwner?: (pbx: string) => boolean;
  followerFinalizeDelayMs?: number;
  /**
   * Whether this instance applies the PBX's events from its own connection (the owner, or an owner cut off
   * from Redis): it queues a finished recording at once (into the outbox while Redis is away). Default isOwner.
   */
  appliesOwnEvents?: (pbx: string) => boolean;
}

export class RecordingService {
  readonly tracker = new RecordingTracker();
  readonly enforcer: RecordingPolicyEnforcer;
  /** Last view of each call, and which call each leg was last seen in (a call may end in the batch that finishes its recording). */
  private readonly views = new Map<string, CallView>();
  private readonly callOfLeg = new Map<string, string>();
  /**
   * Who asked for each running recording, taken when it starts: the on-demand mark is cleared when the
   * user stops it or the call ends, which can come before the recording's file is queued.
   */
  private readonly askedBy = new Map<string, string>();
  readonly counters = { finalized: 0, outboxed: 0, duplicates: 0, withoutFile: 0 };
  private readonly backstops = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: RecordingServiceDeps) {
    this.enforcer = new RecordingPolicyEnforcer({
      directory: deps.directory,
      call: deps.call,
      driver: (pbx) =>
        deps.isOwner && !deps.isOwner(pbx) ? undefined : deps.drivers().find((d) => d.pbx === pbx),
      onRepair: (repair) => this.repaired(repair),
      ...(deps.graceMs !== undefined ? { graceMs: deps.graceMs } : {}),
    });
  }

  /** Called with every batch the model applied. */
  observe(changes: readonly ModelChange[], events: readonly PbxEvent[]): void {
    for (const c of changes) {
      if (c.kind === "call" || c.kind === "call-ended") this.remember(c.call);
    }
    for (const e of events) {
      if (e.type !== "recording.started") continue;
      const callId = this.callOfLeg.get(key(e.pbx, e.leg));
      const by = callId ? this.enforcer.onDemandBy(e.pbx, callId) : undefined;
      if (by) this.askedBy.set(key(e.pbx, e.leg), by);
    }
    this.enforcer.modelChanged(changes);
    for (const e of events) {
      for (const done of this.tracker.observe(e)) void this.finalize(done);
    }
    for (const c of changes) {
      if (c.kind === "call-ended") this.forget(c.call);
    }
  }

  /** Writes each PBX's policy to the PBX (on start and after every settings change). */
  async publishPolicy(): Promise<void> {
    const directory = this.deps.directory();
    for (const driver of this.deps.drivers()) {
      const outcome = await driver.publishRecordingPolicy(
        policyTable(directory, driver.pbx, this.deps.settings),
      );
      if (outcome.status !== "accepted") {
        this.deps.logger.warn(
          { pbx: driver.pbx, outcome },
          "recording policy not written to the PBX; retried on reconnect",
        );
      }
    }
  }

  close(): void {
    this.enforcer.close();
    for (const t of this.backstops) clearTimeout(t);
    this.backstops.clear();
  }

  private remember(call: CallView): void {
    const k = key(call.pbx, call.id);
    this.views.set(k, call);
    for (const leg of call.legs) this.callOfLeg.set(key(call.pbx, leg.leg), call.id);
  }

  private forget(call: CallView): void {
    this.views.delete(key(call.pbx, call.id));
    for (const leg of call.legs) this.callOfLeg.delete(key(call.pbx, leg.leg));
  }

  private async finalize(done: FinishedRecording): Promise<void> {
    if (!done.file) {
      this.counters.withoutFile++;
      this.deps.logger.warn(
        { pbx: done.pbx, leg: done.leg },
        "a recording stopped without a known file name; not queued",
      );
      return;
    }
    const callId = this.callOfLeg.get(key(done.pbx, done.leg)) ?? done.callId;
    const view = this.views.get(key(done.pbx, callId)) ?? this.deps.call(done.pbx, callId);
    const directory = this.deps.directory();
    const requirement = view ? mustRecord(directory, view) : { because: [] as string[] };
    const recordedLeg = view?.legs.find((l) => l.leg === done.leg);
    // Whose recording it is: the recorded leg's user, else whose policy asked, else (on demand, on the
    // outside party's leg) the colleague on the call.
    const recordedUser =
      recordedLeg?.user ??
      requirement.because[0] ??
      view?.talkers.find((p) => p.user)?.user ??
      view?.parties.find((p) => p.user)?.user;
    const extension = recordedUser ? directory.users.get(recordedUser)?.extension : undefined;
    const onDemandBy =
      this.askedBy.get(key(done.pbx, done.leg)) ?? this.enforcer.onDemandBy(done.pbx, callId);
    this.askedBy.delete(key(done.pbx, done.leg));
    const job: FinalizeRecording = {
      pbx: done.pbx,
      callId,
      leg: done.leg,
      // The PBX names the file as it sees it; this process sees the same directory at `settings.directory`.
      file: join(this.deps.settings.directory, basename(done.file)),
      startedAt: done.startedAt,
      stoppedAt: done.stoppedAt,
      direction: view?.direction ?? "internal",
      // The people in the recording: who answered, not a phone that only rang (it must not see the file).
      parties: view ? (view.talkers.length > 0 ? view.talkers : view.parties) : [],
      requiredBy: requirement.because,
      ...(extension ? { extension } : {}),
      ...(onDemandBy ? { onDemandBy } : {}),
    };
    const own = this.deps.appliesOwnEvents ?? this.deps.isOwner;
    if (own && !own(done.pbx)) {
      // A recording that stopped long ago comes from replaying the PBX's event stream at start: its job
      // was queued back then.
      if (Date.now() - done.stoppedAt > 10 * 60_000) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.backstops.delete(timer);
          resolve();
        }, this.deps.followerFinalizeDelayMs ?? 10_000);
        timer.unref?.();
        this.backstops.add(timer);
      });
    }
    try {
      const outcome = await this.deps.enqueue(job);
      if (outcome === "outboxed") this.counters.outboxed++;
      else if (outcome === "duplicate") this.counters.duplicates++;
      else this.counters.finalized++;
    } catch (err) {
      // Neither Redis nor the outbox took it: say so loudly, with everything needed to redo it by hand.
      this.deps.logger.error({ err, job }, "recording could not be queued");
    }
  }

  private repaired(repair: PolicyRepair): void {
    this.deps.logger.info({ repair }, "recording policy repair");
    void this.deps
      .audit({
        action: repair.action,
        target: `call:${repair.call}`,
        outcome: repair.outcome,
        ...(repair.message ? { reason: repair.message } : {}),
        detail: { pbx: repair.pbx, leg: repair.leg, because: repair.because },
      })
      .catch(() => undefined);
  }
}

/** One PBX's table: every user's policy by extension, and the consent beep from their department. */
export function policyTable(
  directory: Directory,
  pbx: string,
  settings: RecordingSettings,
): RecordingPolicyTable {
  const extensions: RecordingPolicyTable["extensions"] = {};
  const beepByExtension: Record<string, number> = {};
  for (const user of directory.users.values()) {
    if (user.pbx !== pbx) continue;
    extensions[user.extension] = user.settings.recording;
    const department = user.departments.find((d) => settings.departments[d]?.beepSeconds !== undefined);
    const beep = department ? settings.departments[department]?.beepSeconds : undefined;
    if (beep !== undefined && beep !== settings.beepSeconds) beepByExtension[user.extension] = beep;
  }
  return {
    extensions,
    ...(settings.beepSeconds > 0 ? { beepSeconds: settings.beepSeconds } : {}),
    ...(Object.keys(beepByExtension).length > 0 ? { beepByExtension } : {}),
  };
}

function key(pbx: string, id: string): string {
  return `${pbx}\u0000${id}`;
}
