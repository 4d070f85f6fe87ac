// How long a recording is kept. The users it is kept for are the ones whose policy required it, else
// the one who started it on demand, else the users among its parties. Each such user's departments
// give a retention (the department's own, or the global default when it has none); the recording is
// kept for the longest of them, so no department's rule deletes what another must keep. A recording
// with no known user gets the global default.

import type { Directory } from "../domain/directory.js";
import type { RecordingMetadata } from "./recording-store.js";

export const DAY_MS = 86_400_000;

export interface RetentionSettings {
  retentionDays: number;
  departments: Record<string, { retentionDays?: number }>;
}

export class RetentionPolicy {
  constructor(
    private readonly settings: RetentionSettings,
    private readonly directory: () => Directory,
  ) {}

  /** The shortest retention any recording can have: nothing younger than that is ever deleted. */
  minimumDays(): number {
    return Math.min(
      this.settings.retentionDays,
      ...Object.values(this.settings.departments).map((d) => d.retentionDays ?? this.settings.retentionDays),
    );
  }

  daysFor(recording: Pick<RecordingMetadata, "requiredBy" | "onDemandBy" | "parties">): number {
    const users =
      recording.requiredBy.length > 0
        ? recording.requiredBy
        : recording.onDemandBy
          ? [recording.onDemandBy]
          : recording.parties.flatMap((p) => (p.user ? [p.user] : []));
    const directory = this.directory();
    let days: number | undefined;
    for (const id of users) {
      const user = directory.users.get(id);
      if (!user) continue;
      for (const department of user.departments) {
        const d = this.settings.departments[department]?.retentionDays ?? this.settings.retentionDays;
        days = days === undefined ? d : Math.max(days, d);
      }
    }
    return days ?? this.settings.retentionDays;
  }

  /** Whether a recording is past its retention at `now`. */
  expired(
    recording: Pick<RecordingMetadata, "requiredBy" | "onDemandBy" | "parties" | "startedAt">,
    now: number,
  ): boolean {
    return recording.startedAt < now - this.daysFor(recording) * DAY_MS;
  }
}
