// The finalize job: everything the worker needs to process one stopped recording, and its
// deterministic id. The id is the same for the same recording whoever reports its stop and however
// often, so a duplicate stop event (or an outbox flush after a timed-out add) never makes a second job.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { CallDirection, Party } from "../domain/calls.js";

export const FINALIZE_JOB = "finalize";
export const RETENTION_JOB = "retention";

export interface FinalizeRecording {
  pbx: string;
  callId: string;
  /** The leg (channel) that was recorded. */
  leg: string;
  /** The extension of the recorded user; the file is stored as `<callId>-<extension>.wav` (or `-call`). */
  extension?: string;
  /** Absolute path as the PBX wrote it. */
  file: string;
  startedAt: number;
  stoppedAt: number;
  direction: CallDirection;
  parties: Party[];
  /** Users whose recording policy required the recording. */
  requiredBy: string[];
  /** The user who started the recording on demand, if anyone did. */
  onDemandBy?: string;
}

/**
 * The recording's id (also its finalize job's): a digest of `<pbx>|<callId>|<leg>|<file name>`, each part
 * URI-encoded so that the separator cannot occur inside a part — two different recordings never share an
 * id, the same one always gets it. Opaque on purpose: viewers are given the id of a recording whose call,
 * leg and file name (which carries an extension) the visibility rules may hide from them. base64url has no
 * ":", which BullMQ forbids in custom ids.
 */
export function finalizeJobId(job: Pick<FinalizeRecording, "pbx" | "callId" | "leg" | "file">): string {
  const key = [job.pbx, job.callId, job.leg, basename(job.file)].map(encodeId).join("|");
  return createHash("sha256").update(key).digest("base64url").slice(0, 24);
}

function encodeId(part: string): string {
  return encodeURIComponent(part).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Users a recording concerns: the users among its parties, the ones whose policy required it, who started it. */
export function usersOf(job: Pick<FinalizeRecording, "parties" | "requiredBy" | "onDemandBy">): string[] {
  const users = new Set<string>();
  for (const p of job.parties) if (p.user) users.add(p.user);
  for (const u of job.requiredBy) users.add(u);
  if (job.onDemandBy) users.add(job.onDemandBy);
  return [...users];
}

/** Checks the shape of a job read back from a queue or the outbox. */
export function isFinalizeRecording(x: unknown): x is FinalizeRecording {
  if (typeof x !== "object" || x === null) return false;
  const j = x as Record<string, unknown>;
  return (
    typeof j.pbx === "string" &&
    typeof j.callId === "string" &&
    typeof j.leg === "string" &&
    typeof j.file === "string" &&
    typeof j.startedAt === "number" &&
    typeof j.stoppedAt === "number" &&
    (j.direction === "internal" || j.direction === "inbound" || j.direction === "outbound") &&
    Array.isArray(j.parties) &&
    Array.isArray(j.requiredBy) &&
    (j.extension === undefined || typeof j.extension === "string") &&
    (j.onDemandBy === undefined || typeof j.onDemandBy === "string")
  );
}
