// Keeps a PBX's key-value store (Asterisk's AstDB, FreeSWITCH's db) in line with the recording policy
// the dialplan reads. Shared by the drivers: each says how a policy becomes keys and how a key is put
// and removed.
//
// Two things make this more than a loop of puts:
// - writes never overlap: a policy published while the connect-time write runs used to interleave with
//   it, so an older value could land after a newer one;
// - a key counts as possibly stored from the moment its put is sent until a remove succeeds. Before,
//   only a write that succeeded in full was remembered, so a connection lost half-way left keys in the
//   PBX that no later write removed.

import type { Logger } from "pino";
import type { CommandOutcome, RecordingPolicyTable } from "./driver.js";

export interface PolicyKey {
  key: string;
  value: string;
}

export interface PolicyStorage {
  /** What the store is called in logs and answers, e.g. "AstDB". */
  name: string;
  /** The keys a policy is stored as, and what in it cannot be stored (named for the log). */
  keysOf(policy: RecordingPolicyTable): { keys: PolicyKey[]; problems: string[] };
  put(key: string, value: string): Promise<CommandOutcome>;
  /** Removes a key; a key that is not there counts as removed. */
  remove(key: string): Promise<CommandOutcome>;
}

export class RecordingPolicySync {
  private policy: RecordingPolicyTable | undefined;
  /** Keys a put was sent for and no remove has succeeded since. */
  private readonly maybeStored = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<CommandOutcome> | undefined;

  constructor(
    private readonly storage: PolicyStorage,
    private readonly log?: { pbx: string; logger: Logger },
  ) {}

  /** Takes a new policy: written at once when connected, else kept for the next connect. */
  publish(policy: RecordingPolicyTable, connected: boolean): Promise<CommandOutcome> {
    this.policy = policy;
    // Not connected (yet): it is written as soon as the connection is up, so there is nothing to warn about.
    if (!connected)
      return Promise.resolve({
        status: "accepted",
        detail: `kept; written to ${this.storage.name} on connect`,
      });
    return this.write();
  }

  /** A (re)connect: the PBX's store may have been lost or changed meanwhile, so the policy is written again. */
  connected(): void {
    if (this.policy) void this.write();
  }

  /**
   * Writes the newest policy after any write under way. Calls made while one is waiting to start share
   * it: it reads the policy when it starts.
   */
  write(): Promise<CommandOutcome> {
    if (this.queued) return this.queued;
    const next = this.tail.then(async () => {
      this.queued = undefined;
      const outcome = await this.writeOnce();
      if (outcome.status === "failed" && this.log)
        this.log.logger.warn(
          { pbx: this.log.pbx, failures: outcome.message },
          `could not write the recording policy to ${this.storage.name}`,
        );
      return outcome;
    });
    this.queued = next;
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async writeOnce(): Promise<CommandOutcome> {
    const policy = this.policy;
    if (!policy) return { status: "accepted" };
    const { keys, problems } = this.storage.keysOf(policy);
    const failures = [...problems];
    const wanted = new Set<string>();
    for (const { key, value } of keys) {
      wanted.add(key);
      this.maybeStored.add(key);
      const outcome = await this.storage.put(key, value);
      if (outcome.status !== "accepted") failures.push(`put ${key}: ${messageOf(outcome)}`);
    }
    for (const key of [...this.maybeStored]) {
      if (wanted.has(key)) continue;
      const outcome = await this.storage.remove(key);
      if (outcome.status === "accepted") this.maybeStored.delete(key);
      else failures.push(`remove ${key}: ${messageOf(outcome)}`);
    }
    if (failures.length > 0) return { status: "failed", message: failures.join("; ") };
    return { status: "accepted", detail: `${Object.keys(policy.extensions).length} extensions` };
  }
}

function messageOf(outcome: CommandOutcome): string {
  return "message" in outcome ? outcome.message : "reason" in outcome ? String(outcome.reason) : "";
}
