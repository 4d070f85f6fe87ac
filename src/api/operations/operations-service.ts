// Carries out call operations for a viewer: the operation's entry in commands.ts finds the call, asks the
// domain whether the viewer may and names the PBX command; the driver carries it out; every attempt is
// written to the audit log. 202 means one thing: the PBX took the command. What became of it (joined,
// refused by the PBX, timed out) follows: a second audit entry naming the first (`detail.operation`; the
// log is append-only), and an `operation` message on the requester's stream, for no one else.

import type { User } from "../../domain/directory.js";
import type { CallView } from "../../domain/live-model.js";
import type { OperationName } from "../../domain/operation-table.js";
import { type Decision, type RefusalReason, type Sight, sightOf } from "../../domain/permissions.js";
import { viewFor } from "../../domain/visibility.js";
import type { CommandOutcome, LaterOutcome, PbxCommand, PbxDriver } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { AuditLog } from "../../stores/audit-log.js";
import { OPERATION_COMMANDS, type OperationRequest } from "./commands.js";
import { dialSettingsOf } from "./dial-settings.js";

export type { OperationName, OperationRequest };

export interface OperationResult {
  httpStatus: number;
  body: /** `operation`: the audit entry's id, which the later outcome on the stream names. */
    | { status: "accepted"; detail?: string; operation?: string }
    | { status: "refused"; reason: RefusalReason; message: string }
    | { status: "failed"; message: string };
}

/** A result, and what becomes of an accepted command later when the driver can tell. */
type Run = OperationResult & { later?: Promise<LaterOutcome> };

const CONFLICT: ReadonlySet<string> = new Set([
  "call-not-ringing",
  "call-not-answered",
  "call-not-parked",
  "no-call",
]);
const NOT_FOUND: ReadonlySet<string> = new Set(["unknown-target", "unknown-call", "unknown-viewer"]);
/** What the request names is no usable value (click-to-call's `to`). */
const BAD_REQUEST: ReadonlySet<string> = new Set(["invalid-target"]);

export interface OperationsOptions {
  /** Beep to the supervisor when monitoring starts. */
  monitoringBeep: boolean;
  /** Told when a user starts (user) or stops (undefined) a recording on demand, so the policy leaves it be. */
  onDemand?: (pbx: string, callId: string, user: string | undefined) => void;
  /** Told the outcome of every attempt (metrics). */
  onOutcome?: (operation: OperationName, outcome: "accepted" | "refused" | "failed") => void;
  /** Told what became of an accepted operation, for the viewer who asked (their stream). */
  onLater?: (viewer: string, operation: string, action: OperationName, outcome: LaterOutcome) => void;
  /** How long an accepted operation's outcome is waited for (default 60 s): then it timed out. */
  laterWithinMs?: number;
}

/** The audit outcome of what became of an accepted operation. */
const LATER_AUDIT = { joined: "accepted", refused: "refused", "timed-out": "failed" } as const;

export class OperationsService {
  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
    private readonly options: OperationsOptions = { monitoringBeep: false },
  ) {}

  async execute(viewerId: string, operation: OperationName, req: OperationRequest): Promise<OperationResult> {
    const { later, ...result } = await this.run(viewerId, operation, req);
    this.options.onOutcome?.(operation, result.body.status);
    const target =
      req.target !== undefined
        ? { target: req.target }
        : req.call !== undefined
          ? { target: `call:${req.call}` }
          : req.to !== undefined
            ? { target: req.to }
            : {};
    const entry = await this.audit.append({
      actor: viewerId,
      action: operation,
      ...target,
      outcome:
        result.body.status === "accepted"
          ? "accepted"
          : result.body.status === "refused"
            ? "refused"
            : "failed",
      ...(result.body.status === "refused" ? { reason: result.body.reason } : {}),
      ...(result.body.status === "failed" ? { reason: result.body.message } : {}),
      detail: { ...req },
    });
    if (later && result.body.status === "accepted") {
      result.body.operation = entry.id;
      void this.followUp(viewerId, operation, entry.id, target, later);
    }
    return result;
  }

  /** Audits what became of an accepted operation and tells the viewer who asked. */
  private async followUp(
    viewerId: string,
    operation: OperationName,
    id: string,
    target: { target?: string },
    later: Promise<LaterOutcome>,
  ): Promise<void> {
    const limit = this.options.laterWithinMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      later.catch((err: unknown): LaterOutcome => ({ result: "refused", message: String(err) })),
      new Promise<LaterOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ result: "timed-out", message: `no outcome within ${limit} ms` }),
          limit,
        );
        timer.unref?.();
      }),
    ]);
    clearTimeout(timer);
    await this.audit
      .append({
        actor: viewerId,
        action: operation,
        ...target,
        outcome: LATER_AUDIT[outcome.result],
        ...(outcome.message ? { reason: outcome.message } : {}),
        detail: { operation: id, result: outcome.result },
      })
      .catch(() => undefined);
    this.options.onLater?.(viewerId, id, operation, outcome);
  }

  private async run(viewerId: string, operation: OperationName, req: OperationRequest): Promise<Run> {
    const directory = this.callsight.directory;
    const viewer = directory.users.get(viewerId);
    if (!viewer) return refused("unknown-viewer", `no user ${viewerId}`);
    const prepared = OPERATION_COMMANDS[operation]({
      operation,
      viewer,
      req,
      directory,
      sight: this.sightOf(viewerId),
      // Calls are looked up only for a user who exists; the domain decides the viewer's rights before it
      // looks at them, and the reply says nothing about a call the viewer does not see.
      known: req.target !== undefined && directory.users.has(req.target) ? req.target : undefined,
      callOfUser: (user, legState) => this.callOfUser(user, legState),
      callById: (r) => this.callById(r),
      ivrOf: (pbx) =>
        this.callsight.config.pbx.find((p) => p.id === pbx)?.ivr ?? { context: "ivr", exten: "s" },
      dialOf: (pbx) => dialSettingsOf(this.callsight.config.pbx.find((p) => p.id === pbx)),
      monitoringBeep: this.options.monitoringBeep,
    });
    if ("refusal" in prepared) return fromDecision(prepared.refusal);
    const driver = this.callsight.driver(prepared.pbx);
    if (!driver)
      return { httpStatus: 502, body: { status: "failed", message: `no connection to pbx ${prepared.pbx}` } };
    const command = prepared.command((u) => this.endpointOf(u, driver));
    const { pbx, callId } = prepared;
    if (command.op === "startRecording") this.options.onDemand?.(pbx, callId, viewerId);
    const result = await this.run1(driver, command);
    if (command.op === "stopRecording" && result.body.status === "accepted")
      this.options.onDemand?.(pbx, callId, undefined);
    return result;
  }

  /** What the viewer's board shows, built only if a decision needs it. */
  private sightOf(viewerId: string): Sight {
    let sight: Sight | undefined;
    const get = (): Sight => {
      sight ??= sightOf(viewFor(this.callsight.directory, this.callsight.model, viewerId));
      return sight;
    };
    return { callsOf: (user) => get().callsOf(user), call: (id) => get().call(id) };
  }

  private async run1(driver: PbxDriver, command: PbxCommand): Promise<Run> {
    let outcome: CommandOutcome;
    try {
      outcome = await driver.execute(command);
    } catch (err) {
      outcome = { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.status === "accepted") {
      return {
        httpStatus: 202,
        body: { status: "accepted", ...(outcome.detail ? { detail: outcome.detail } : {}) },
        ...(outcome.later ? { later: outcome.later } : {}),
      };
    }
    if (outcome.status === "refused") {
      return { httpStatus: 409, body: { status: "refused", reason: "no-call", message: outcome.message } };
    }
    return { httpStatus: 502, body: { status: "failed", message: outcome.message } };
  }

  /** The user's call whose leg state matches, if any. */
  private callOfUser(user: string, legState: (state: string) => boolean): CallView | undefined {
    for (const call of this.callsight.model.activeCalls()) {
      if (call.legs.some((l) => l.user === user && legState(l.state))) return call;
    }
    return undefined;
  }

  private callById(req: OperationRequest): CallView | undefined {
    if (!req.call) return undefined;
    const pbxs = req.pbx ? [req.pbx] : this.callsight.drivers.map((d) => d.pbx);
    for (const pbx of pbxs) {
      const call = this.callsight.model.call(pbx, req.call);
      if (call) return call;
    }
    return undefined;
  }

  /** The phone an operation rings for the viewer: their first device, else their extension's endpoint. */
  private endpointOf(user: User, driver: PbxDriver): string {
    return (
      user.devices.find((d) => d.pbx === driver.pbx)?.endpoint ?? driver.endpointForExtension(user.extension)
    );
  }
}

function refused(reason: RefusalReason, message: string): OperationResult {
  const httpStatus = BAD_REQUEST.has(reason)
    ? 400
    : NOT_FOUND.has(reason)
      ? 404
      : CONFLICT.has(reason)
        ? 409
        : 403;
  return { httpStatus, body: { status: "refused", reason, message } };
}

function fromDecision(decision: Exclude<Decision, { allowed: true }>): OperationResult {
  return refused(decision.reason, decision.message);
}
