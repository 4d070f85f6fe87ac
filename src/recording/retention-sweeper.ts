// The retention pass: deletes the stored recordings (audio, metadata and index entries) that are past
// their retention, and logs each one it deletes.

import type { Logger } from "pino";
import type { RecordingIndex } from "./recording-index.js";
import type { RecordingStore } from "./recording-store.js";
import { DAY_MS, type RetentionPolicy } from "./retention-policy.js";

export interface DeletedRecording {
  id: string;
  callId: string;
  file: string;
  startedAt: number;
  retentionDays: number;
}

const BATCH = 500;

export class RetentionSweeper {
  constructor(
    private readonly policy: RetentionPolicy,
    private readonly index: RecordingIndex,
    private readonly store: RecordingStore,
    private readonly logger?: Logger,
    /** Runs before each pass (e.g. to reload the directory the policy reads). */
    private readonly beforeSweep?: () => Promise<void>,
  ) {}

  async sweep(now = Date.now()): Promise<DeletedRecording[]> {
    await this.beforeSweep?.();
    // Nothing younger than the shortest retention can be due; older ones are checked one by one.
    const candidatesBefore = now - this.policy.minimumDays() * DAY_MS;
    const deleted: DeletedRecording[] = [];
    // Deleted ones leave the index; the ones kept stay at the front of the range, so skip them.
    let kept = 0;
    for (;;) {
      const ids = await this.index.startedBefore(candidatesBefore, kept, BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        const metadata = await this.index.get(id);
        if (!metadata) {
          await this.index.remove(id);
          continue;
        }
        const retentionDays = this.policy.daysFor(metadata);
        if (!this.policy.expired(metadata, now)) {
          kept++;
          continue;
        }
        await this.store.remove(metadata);
        await this.index.remove(id, { retention: true });
        const entry = {
          id,
          callId: metadata.callId,
          file: metadata.file,
          startedAt: metadata.startedAt,
          retentionDays,
        };
        this.logger?.info(
          { ...entry, startedAt: new Date(metadata.startedAt).toISOString() },
          "recording deleted by retention",
        );
        deleted.push(entry);
      }
    }
    this.logger?.info({ deleted: deleted.length }, "recording retention pass done");
    return deleted;
  }
}
