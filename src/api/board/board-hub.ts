// Live views for connected viewers: a session per viewer holds the last view it was sent and a short
// log of numbered deltas, so a client that reconnects within the grace period resumes where it was
// instead of reloading. Flushes are a few ms apart (flush-pace.ts): a change after a quiet spell goes out
// at once, changes during busy times are coalesced. Only affected viewers are recomputed.

import { randomUUID } from "node:crypto";
import {
  affectedViewers,
  type BoardDelta,
  diffBoard,
  touchedUsers,
  viewersWhoseRulesChanged,
} from "../../domain/board-changes.js";
import type { Directory } from "../../domain/directory.js";
import { queueOwners } from "../../domain/directory.js";
import type { CallView, LiveModel, ModelChange } from "../../domain/live-model.js";
import { queueViewers } from "../../domain/queue-view.js";
import { BoardMoment, type BoardView, callKey, viewFor } from "../../domain/visibility.js";
import {
  type BoardMessage,
  deltaMessageJson,
  encodeBoardMessage,
  encodeDeltas,
  PartText,
} from "./board-messages.js";
import { FlushPace } from "./flush-pace.js";

export type { BoardMessage } from "./board-messages.js";

export interface ViewerConnection {
  /** `text` is `message` as JSON, encoded once per message however many connections get it. */
  send(message: BoardMessage, text: string): void;
}

interface ViewerSession {
  id: string;
  viewer: string;
  seq: number;
  view: BoardView;
  log: { seq: number; deltas: BoardDelta[] }[];
  connections: Set<ViewerConnection>;
  expiry?: ReturnType<typeof setTimeout>;
}

export interface BoardHubOptions {
  /** Least time between the starts of two flushes (default 5 ms; twice that while the process is busy). */
  flushMs?: number;
  /** How long a session outlives its last connection (for resume). */
  graceMs?: number;
  /** Deltas kept per session for resume. */
  logSize?: number;
}

export class BoardHub {
  private readonly sessions = new Map<string, ViewerSession>();
  private readonly dirtyUsers = new Set<string>();
  private everyoneDirty = false;
  /** A PBX link changed: every viewer is told, whoever they see. */
  private linksDirty = false;
  /** Departments whose queues changed: their people (and admins) get the queue panels again. */
  private readonly dirtyDepartments = new Set<string>();
  private queueViewersDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly pace: FlushPace;
  private lastFlushAt = 0;
  private readonly graceMs: number;
  private readonly logSize: number;
  /** Messages sent to viewers, by type (one per connection). */
  readonly sent = { snapshot: 0, delta: 0, heartbeat: 0, operation: 0, status: 0 };
  /** The last flush's moment: its person views are reused for people nothing has changed since. */
  private lastMoment: BoardMoment | undefined;
  /** Users touched since `lastMoment` was built (flushes that built no view leave them here). */
  private changedSinceMoment = new Set<string>();
  /** The view each live call was last reported with, as JSON. */
  private readonly callJson = new Map<string, string>();
  /** Calls changed since `lastMoment` was built. */
  private changedCalls = new Map<string, CallView | undefined>();
  /** JSON of person views (and other view parts), kept for the flush that made them and the next. */
  private readonly partText = new PartText();
  /** The directory the sessions' logged deltas were computed under (see dropStaleLogs). */
  private rulesDirectory: Directory;

  constructor(
    private readonly directory: () => Directory,
    private readonly model: LiveModel,
    options: BoardHubOptions = {},
  ) {
    this.pace = new FlushPace(options.flushMs !== undefined ? { quickMs: options.flushMs } : {});
    this.graceMs = options.graceMs ?? 60_000;
    this.logSize = options.logSize ?? 100;
    this.rulesDirectory = directory();
  }

  /** The viewer's current view (the same one the stream starts from). */
  view(viewer: string): BoardView | undefined {
    return viewFor(this.directory(), this.model, viewer);
  }

  /**
   * Attaches a connection. With `resume` naming a live session of the same viewer and a sequence number
   * still in its log, the connection gets the missed deltas; otherwise a fresh snapshot.
   */
  connect(viewer: string, connection: ViewerConnection, resume?: { session: string; seq: number }): boolean {
    this.dropStaleLogs();
    const view = this.view(viewer);
    if (!view) return false;
    const existing = resume ? this.sessions.get(resume.session) : undefined;
    if (existing && existing.viewer === viewer && resume && this.canResume(existing, resume.seq)) {
      this.attach(existing, connection);
      for (const entry of existing.log) {
        if (entry.seq > resume.seq)
          this.send(connection, { type: "delta", seq: entry.seq, deltas: entry.deltas });
      }
      return true;
    }
    const session: ViewerSession = {
      id: randomUUID(),
      viewer,
      seq: 0,
      view,
      log: [],
      connections: new Set(),
    };
    this.sessions.set(session.id, session);
    this.attach(session, connection);
    this.send(connection, { type: "snapshot", session: session.id, seq: 0, view });
    return true;
  }

  disconnect(connection: ViewerConnection): void {
    for (const session of this.sessions.values()) {
      if (!session.connections.delete(connection) || session.connections.size > 0) continue;
      session.expiry = setTimeout(() => this.sessions.delete(session.id), this.graceMs);
      session.expiry.unref?.();
    }
  }

  /** A message for one viewer only (an operation's outcome for whoever asked): each open connection of theirs. */
  tell(viewer: string, message: BoardMessage): void {
    for (const session of this.sessions.values()) {
      if (session.viewer !== viewer) continue;
      for (const connection of session.connections) this.send(connection, message);
    }
  }

  /** Sends a connection its session's current view (a viewer that fell behind and caught up: viewer-socket.ts). */
  resnapshot(connection: ViewerConnection): void {
    for (const session of this.sessions.values()) {
      if (!session.connections.has(connection)) continue;
      // Built now, not the session's last flushed view: a directory change since that flush may forbid
      // fields it holds. The deltas that follow set whole entries, so they apply on top of a newer view.
      const view = this.view(session.viewer);
      if (!view) return;
      this.send(connection, { type: "snapshot", session: session.id, seq: session.seq, view });
      return;
    }
  }

  /** Model changes from the PBX. */
  modelChanged(changes: readonly ModelChange[]): void {
    // Views are built from call views: a call reported with the very view it had (a resync after a
    // reconnect reports every call; many PBX events touch a call without changing what anyone sees)
    // changes no board, so its people are not made to be rebuilt.
    const real = changes.filter((c) => {
      if (c.kind === "call") {
        const key = callKey(c.call.pbx, c.call.id);
        const json = JSON.stringify(c.call);
        if (this.callJson.get(key) === json) return false;
        this.callJson.set(key, json);
        this.changedCalls.set(key, c.call);
      } else if (c.kind === "call-ended" || c.kind === "call-gone") {
        const key = c.kind === "call-ended" ? callKey(c.call.pbx, c.call.id) : callKey(c.pbx, c.id);
        this.callJson.delete(key);
        this.changedCalls.set(key, undefined);
      } else if (c.kind === "link") this.linksDirty = true;
      else if (c.kind === "queue") {
        const owners = queueOwners(this.directory(), c.pbx, c.name);
        for (const d of owners) this.dirtyDepartments.add(d);
        return owners.length > 0;
      }
      return true;
    });
    if (real.length === 0) return;
    for (const user of touchedUsers(real)) this.dirtyUsers.add(user);
    this.queueViewersDirty ||= this.dirtyDepartments.size > 0;
    this.schedule();
  }

  /** Settings changed: every view may have changed, including what it may no longer show. */
  directoryChanged(): void {
    this.dropStaleLogs();
    this.everyoneDirty = true;
    // Call views change with the directory (who a leg belongs to) without the model reporting them.
    this.callJson.clear();
    this.schedule();
  }

  heartbeat(): void {
    const at = Date.now();
    for (const s of this.sessions.values()) {
      for (const c of s.connections) this.send(c, { type: "heartbeat", seq: s.seq, at });
    }
  }

  get connectedViewers(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.connections.size;
    return n;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.sessions.values()) if (s.expiry) clearTimeout(s.expiry);
    this.sessions.clear();
  }

  /** Computes and sends pending deltas now (also used by tests). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = performance.now();
    this.partText.nextGeneration();
    this.dropStaleLogs();
    const directory = this.directory();
    // Only viewers with a session can be sent anything.
    const viewers = new Set<string>();
    for (const session of this.sessions.values()) viewers.add(session.viewer);
    const affected =
      this.everyoneDirty || this.linksDirty
        ? undefined
        : new Set(affectedViewers(directory, this.dirtyUsers, viewers));
    if (affected && this.queueViewersDirty) {
      for (const id of queueViewers(directory, this.dirtyDepartments, viewers)) affected.add(id);
    }
    this.dirtyDepartments.clear();
    this.queueViewersDirty = false;
    // One view per viewer and one moment per flush, however many sessions and viewers there are. People
    // untouched since the last flush keep their person views, so diffs skip them by identity.
    if (this.everyoneDirty) {
      this.lastMoment = undefined;
      this.changedCalls.clear();
      this.changedSinceMoment.clear();
    }
    for (const user of this.dirtyUsers) this.changedSinceMoment.add(user);
    this.everyoneDirty = false;
    this.linksDirty = false;
    this.dirtyUsers.clear();
    let moment: BoardMoment | undefined;
    const views = new Map<string, BoardView | undefined>();
    // A viewer's sessions (the board open on a desk and on a phone) usually held the same view: the diff
    // from it, and its JSON, are worked out once.
    const diffs = new Map<BoardView, { deltas: BoardDelta[]; json: string }>();
    for (const session of this.sessions.values()) {
      if (affected && !affected.has(session.viewer)) continue;
      let next: BoardView | undefined;
      if (views.has(session.viewer)) next = views.get(session.viewer);
      else {
        if (!moment) {
          const from = this.lastMoment;
          const carryOver = from && {
            from,
            changed: this.changedSinceMoment,
            changedCalls: this.changedCalls,
          };
          moment = new BoardMoment(directory, this.model, carryOver);
          this.lastMoment = moment;
          this.changedSinceMoment = new Set();
          this.changedCalls = new Map();
        }
        next = viewFor(directory, this.model, session.viewer, moment);
        views.set(session.viewer, next);
      }
      if (!next) {
        // The viewer was deleted: their sessions end.
        this.sessions.delete(session.id);
        continue;
      }
      let diff = diffs.get(session.view);
      if (!diff) {
        const deltas = diffBoard(session.view, next, this.partText);
        diff = { deltas, json: deltas.length > 0 ? encodeDeltas(deltas, this.partText) : "" };
        diffs.set(session.view, diff);
      }
      session.view = next;
      const { deltas } = diff;
      if (deltas.length === 0) continue;
      session.seq++;
      session.log.push({ seq: session.seq, deltas });
      if (session.log.length > this.logSize) session.log.shift();
      const message: BoardMessage = { type: "delta", seq: session.seq, deltas };
      const text = deltaMessageJson(session.seq, diff.json);
      for (const c of session.connections) c.send(message, text);
      this.sent.delta += session.connections.size;
    }
  }

  private send(connection: ViewerConnection, message: BoardMessage): void {
    this.sent[message.type]++;
    connection.send(message, encodeBoardMessage(message, this.partText));
  }

  /**
   * Deltas logged before a directory change that can change what a viewer may see (a setting, a role, a
   * colleague's switches) were computed under the old rules and may carry what the viewer may no longer
   * see: a resume must not replay them, it gets a fresh snapshot instead. (What was sent live stays sent.)
   */
  private dropStaleLogs(): void {
    const directory = this.directory();
    if (directory === this.rulesDirectory) return;
    const viewers = new Set<string>();
    for (const session of this.sessions.values()) viewers.add(session.viewer);
    const changed = viewersWhoseRulesChanged(this.rulesDirectory, directory, viewers);
    this.rulesDirectory = directory;
    for (const session of this.sessions.values()) if (changed.has(session.viewer)) session.log = [];
  }

  private canResume(session: ViewerSession, seq: number): boolean {
    if (seq === session.seq) return true;
    const first = session.log[0];
    return first !== undefined && seq >= first.seq - 1 && seq <= session.seq;
  }

  private attach(session: ViewerSession, connection: ViewerConnection): void {
    if (session.expiry) clearTimeout(session.expiry);
    session.expiry = undefined;
    session.connections.add(connection);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlushAt + this.pace.gapMs() - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref?.();
  }
}
