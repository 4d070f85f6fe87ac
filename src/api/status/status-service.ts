// A user's chosen status (available / away / DND, a note, an end time), in both directions:
// - set: the viewer for themselves, an admin for anyone (403 for anyone else, whoever the target is); the
//   PBX's driver writes it where the phones' lamps and the dialplan read it (`setStatus`), and 202 means
//   the PBX took it. Every attempt is audited (who, for whom, what).
// - shown: what the PBX reports back (Callsight's StatusBook, fed with every event batch the model gets,
//   snapshots included) — the same path as a status set by a phone's feature code — with the end time, to
//   those who may see the person's presence (rule 1), on GET /v1/status and as `status` messages on their
//   streams.
// - "until": kept in Redis (UntilStore); when it passes, the instance that owns the user's PBX and claims
//   the entry first sets the status back to available on the PBX (audited as `callsight`).

import type { Logger } from "pino";
import { settleWithin } from "../../cluster/bounded.js";
import { ClusteredDriver } from "../../cluster/clustered-driver.js";
import type { User } from "../../domain/directory.js";
import type { PbxEvent } from "../../domain/events.js";
import { canSeePresence, isAdmin } from "../../domain/visibility.js";
import type { CommandOutcome, StatusRequest, UserStatus } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { AuditLog } from "../../stores/audit-log.js";
import type { BoardMessage } from "../board/board-hub.js";
import { extensionKey, touchedBy } from "./status-book.js";
import type { StatusView } from "./status-view.js";
import { type UntilEntry, UntilStore } from "./until-store.js";

/** What a request asks: the status, a note, and when it ends (ms since epoch). */
export interface StatusChange {
  status: UserStatus;
  note?: string;
  until?: number;
}

export interface StatusResult {
  httpStatus: number;
  body:
    | { status: "accepted"; user: string; detail?: string }
    | { status: "refused"; reason: string; message: string }
    | { status: "failed"; message: string };
}

export interface StatusServiceOptions {
  /** The Redis key prefix (the end times' keys, redis-keys.ts). */
  prefix: string;
  /** Sends a stream message to one viewer (BoardHub.tell). */
  tell?: (viewer: string, message: BoardMessage) => void;
  /** Whether this instance carries out the end times of users on this PBX (default: it owns the PBX). */
  isOwner?: (pbx: string) => boolean;
  now?: () => number;
  /** How often due end times are looked for at the latest (default 5 s; sooner when one is known). */
  pollMs?: number;
  /** How long a claimed end time is this instance's before another may carry it out (default 60 s). */
  claimMs?: number;
  logger?: Logger;
}

export class StatusService {
  private readonly store: UntilStore;
  /** Every instance's end times, as last read from Redis. */
  private untils = new Map<string, UntilEntry>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** When the planned look for due end times runs. */
  private nextAt: number | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  /** End-time reverts this instance carried out, and those that failed (to be tried again). */
  readonly counters = { reverted: 0, revertFailed: 0 };

  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
    private readonly options: StatusServiceOptions,
  ) {
    this.store = new UntilStore(callsight.redis, options.prefix);
    this.now = options.now ?? Date.now;
  }

  /** Follows the PBX events and the end times of every instance, and starts carrying out the due ones. */
  async start(): Promise<void> {
    this.callsight.onModelChange((_changes, events) => this.observe(events));
    this.callsight.onDirectoryChange(() => this.tellEveryone());
    this.unsubscribe = await this.store.subscribe((user) => void this.reload(user));
    await this.reload(undefined);
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.unsubscribe?.();
    // A look for due end times that waits for Redis is not waited for long (stopping must stay bounded).
    await settleWithin(this.running, 500);
  }

  /** The statuses `viewerId` may see (rule 1): theirs and everyone's on their board. */
  statusesFor(viewerId: string): StatusView[] {
    const directory = this.callsight.directory;
    const viewer = directory.users.get(viewerId);
    if (!viewer) return [];
    const out: StatusView[] = [];
    for (const t of directory.users.values()) if (canSeePresence(viewer, t)) out.push(this.viewOf(t));
    return out;
  }

  /** One user's status as shown: what their PBX reports, and the end time. */
  viewOf(user: User): StatusView {
    const reported = this.callsight.statuses.statusOf(user.pbx, user.extension);
    const until = this.untils.get(user.id)?.until;
    return { user: user.id, ...reported, ...(until !== undefined ? { until } : {}) };
  }

  /**
   * Sets `targetId`'s status for `actorId`: themselves, or anyone when an admin. Another user's status is
   * 403 for a non-admin whoever they name (an unknown user too: a refusal tells nothing); an admin naming
   * nobody gets 404. Audited.
   */
  async set(actorId: string, targetId: string, change: StatusChange): Promise<StatusResult> {
    const result = await this.run(actorId, targetId, change);
    const body = result.body;
    await this.audit.append({
      actor: actorId,
      action: "setStatus",
      target: targetId,
      outcome: body.status,
      ...(body.status === "refused" ? { reason: body.reason } : {}),
      ...(body.status === "failed" ? { reason: body.message } : {}),
      detail: {
        status: change.status,
        ...(change.note ? { note: change.note } : {}),
        ...(change.until !== undefined ? { until: change.until } : {}),
      },
    });
    return result;
  }

  private async run(actorId: string, targetId: string, change: StatusChange): Promise<StatusResult> {
    const directory = this.callsight.directory;
    const actor = directory.users.get(actorId);
    if (!actor) return refused(404, "unknown-viewer", `no user ${actorId}`);
    if (actor.id !== targetId && !isAdmin(actor))
      return refused(403, "not-allowed", "only administrators set another user's status");
    const target = directory.users.get(targetId);
    if (!target) return refused(404, "unknown-target", `no user ${targetId}`);
    const outcome = await this.execute(target, {
      status: change.status,
      ...(change.note ? { note: change.note } : {}),
    });
    if (outcome.status === "refused") return refused(409, outcome.reason, outcome.message);
    if (outcome.status === "failed")
      return { httpStatus: 502, body: { status: "failed", message: outcome.message } };
    // The PBX took it: a new end time, or none (a status set without one stays until changed).
    await this.store.set(
      target.id,
      change.until !== undefined ? { until: change.until, status: change.status, by: actorId } : undefined,
    );
    if (change.until !== undefined) this.schedule(Math.max(0, change.until - this.now()));
    return {
      httpStatus: 202,
      body: { status: "accepted", user: target.id, ...(outcome.detail ? { detail: outcome.detail } : {}) },
    };
  }

  private async execute(user: User, req: Omit<StatusRequest, "extension">): Promise<CommandOutcome> {
    const driver = this.callsight.driver(user.pbx);
    if (!driver) return { status: "failed", message: `no connection to pbx ${user.pbx}` };
    try {
      return await driver.execute({ op: "setStatus", req: { extension: user.extension, ...req } });
    } catch (err) {
      return { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
  }

  // ---- what the PBX reports -------------------------------------------------------------------

  /** Callsight applied `events` to its status book (runtime/callsight.ts): tells whom they concern. */
  private observe(events: readonly PbxEvent[]): void {
    const touched = touchedBy(events);
    if (touched.extensions.size === 0 && touched.pbxs.size === 0) return;
    const users: User[] = [];
    for (const u of this.callsight.directory.users.values())
      if (touched.pbxs.has(u.pbx) || touched.extensions.has(extensionKey(u.pbx, u.extension))) users.push(u);
    this.tellAbout(users);
  }

  /** Tells every viewer who may see them the new statuses of `users`. */
  private tellAbout(users: readonly User[]): void {
    const tell = this.options.tell;
    if (!tell || users.length === 0) return;
    const views = users.map((u) => this.viewOf(u));
    for (const viewer of this.callsight.directory.users.values()) {
      const people = views.filter((_, i) => canSeePresence(viewer, users[i] as User));
      if (people.length > 0) tell(viewer.id, { type: "status", people });
    }
  }

  /** After a directory change: everyone gets the whole list they may now see. */
  private tellEveryone(): void {
    const tell = this.options.tell;
    if (!tell) return;
    for (const viewer of this.callsight.directory.users.values())
      tell(viewer.id, { type: "status", full: true, people: this.statusesFor(viewer.id) });
  }

  // ---- end times ------------------------------------------------------------------------------

  /** Reads one user's end time again (or all of them) after any instance changed it. */
  private async reload(user: string | undefined): Promise<void> {
    try {
      if (user === undefined) {
        const before = this.untils;
        this.untils = await this.store.all();
        const changed = new Set([...before.keys(), ...this.untils.keys()]);
        this.tellAbout(this.usersNamed(changed));
      } else {
        const entry = await this.store.get(user);
        if (entry) this.untils.set(user, entry);
        else this.untils.delete(user);
        this.tellAbout(this.usersNamed([user]));
        if (entry) this.schedule(Math.max(0, entry.until - this.now()));
      }
    } catch (err) {
      this.options.logger?.warn({ err: (err as Error).message }, "status end times could not be read");
    }
  }

  private usersNamed(ids: Iterable<string>): User[] {
    const users = this.callsight.directory.users;
    return [...ids].flatMap((id) => users.get(id) ?? []);
  }

  /** Looks for due end times in `ms` (sooner than already planned, never later than the poll interval). */
  private schedule(ms: number): void {
    if (this.closed) return;
    const delay = Math.min(ms, this.options.pollMs ?? 5000);
    const at = this.now() + delay;
    if (this.timer && this.nextAt !== undefined && this.nextAt <= at) return;
    clearTimeout(this.timer);
    this.nextAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nextAt = undefined;
      this.running = this.expire().finally(() => {
        this.running = undefined;
      });
    }, delay);
    this.timer.unref?.();
  }

  /** Carries out the due end times of users whose PBX this instance owns, then plans the next look. */
  async expire(): Promise<void> {
    let next: number | undefined;
    try {
      const now = this.now();
      const found = await this.store.due(now);
      next = found.next;
      let progressed = false;
      const users = this.callsight.directory.users;
      for (const d of found.due) {
        const user = users.get(d.user);
        if (user && !this.owns(user.pbx)) continue;
        const claimed = await this.store.claim(d, now, this.options.claimMs ?? 60_000);
        if (!claimed) continue;
        progressed = true;
        if (!user) {
          // No such user any more: nothing to set back.
          await this.store.finish(d.user, claimed.lease);
          continue;
        }
        await this.revert(user, claimed.entry, claimed.lease);
      }
      // More due than one look takes: on at once, unless none of them was this instance's to carry out
      // (then the poll interval, not a busy loop).
      if (next !== undefined && next <= now && !progressed) next = undefined;
    } catch (err) {
      this.options.logger?.warn({ err: (err as Error).message }, "status end times could not be carried out");
    }
    if (!this.closed)
      this.schedule(next === undefined ? Number.POSITIVE_INFINITY : Math.max(0, next - this.now()));
  }

  private async revert(user: User, entry: UntilEntry, lease: number): Promise<void> {
    const outcome = await this.execute(user, { status: "available" });
    const ok = outcome.status === "accepted";
    if (ok) {
      this.counters.reverted++;
      await this.store.finish(user.id, lease);
    } else {
      // Due again when the claim lapses (the PBX may be back by then).
      this.counters.revertFailed++;
    }
    await this.audit
      .append({
        actor: "callsight",
        action: "setStatus",
        target: user.id,
        outcome: ok ? "accepted" : outcome.status,
        ...(outcome.status === "refused" ? { reason: outcome.reason } : {}),
        ...(outcome.status === "failed" ? { reason: outcome.message } : {}),
        detail: {
          status: "available",
          because: "until",
          until: entry.until,
          set: entry.status,
          by: entry.by,
        },
      })
      .catch(() => undefined);
  }

  private owns(pbx: string): boolean {
    if (this.options.isOwner) return this.options.isOwner(pbx);
    const driver = this.callsight.driver(pbx);
    return driver !== undefined && (!(driver instanceof ClusteredDriver) || driver.isOwner());
  }
}

function refused(httpStatus: number, reason: string, message: string): StatusResult {
  return { httpStatus, body: { status: "refused", reason, message } };
}
