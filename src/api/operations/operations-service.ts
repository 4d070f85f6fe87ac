// Carries out call operations for a viewer: finds the call in the model, asks the domain whether the
// viewer may, hands it to the PBX driver, and writes every attempt to the audit log. The domain decides
// with the viewer's sight (what their board shows), so that a refusal tells nothing the board does not.

import type { AuditLog } from "../../audit/audit-log.js";
import type { MonitoringMode, User } from "../../domain/directory.js";
import type { CallView } from "../../domain/live-model.js";
import {
  authorize,
  authorizeRecording,
  type Decision,
  type OperationTarget,
  type RefusalReason,
  type Sight,
  sightOf,
} from "../../domain/permissions.js";
import { viewFor } from "../../domain/visibility.js";
import type { CommandOutcome, PbxDriver } from "../../pbx/driver.js";
import type { Callsight } from "../../runtime/callsight.js";

export type OperationName =
  | "pickup"
  | "parkedPickup"
  | "sendToIvr"
  | "listen"
  | "whisper"
  | "barge"
  | "recordStart"
  | "recordStop";

export interface OperationRequest {
  /** The user whose call is acted on. */
  target?: string;
  /** A call id (parked pickup, recording); with `pbx` when several PBXes are configured. */
  call?: string;
  pbx?: string;
  /** For send to IVR: which leg to send (default: the outside party). */
  leg?: string;
}

export interface OperationResult {
  httpStatus: number;
  body:
    | { status: "accepted"; detail?: string }
    | { status: "refused"; reason: RefusalReason; message: string }
    | { status: "failed"; message: string };
}

const CONFLICT: ReadonlySet<string> = new Set([
  "call-not-ringing",
  "call-not-answered",
  "call-not-parked",
  "no-call",
]);
const NOT_FOUND: ReadonlySet<string> = new Set(["unknown-target", "unknown-call", "unknown-viewer"]);

export interface OperationsOptions {
  /** Beep to the supervisor when monitoring starts. */
  monitoringBeep: boolean;
  /** Told when a user starts (user) or stops (undefined) a recording on demand, so the policy leaves it be. */
  onDemand?: (pbx: string, callId: string, user: string | undefined) => void;
  /** Told the outcome of every attempt (metrics). */
  onOutcome?: (operation: OperationName, outcome: "accepted" | "refused" | "failed") => void;
}

export class OperationsService {
  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
    private readonly options: OperationsOptions = { monitoringBeep: false },
  ) {}

  async execute(viewerId: string, operation: OperationName, req: OperationRequest): Promise<OperationResult> {
    const result = await this.run(viewerId, operation, req);
    this.options.onOutcome?.(operation, result.body.status);
    await this.audit.append({
      actor: viewerId,
      action: operation,
      ...(req.target !== undefined
        ? { target: req.target }
        : req.call !== undefined
          ? { target: `call:${req.call}` }
          : {}),
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
    return result;
  }

  private async run(
    viewerId: string,
    operation: OperationName,
    req: OperationRequest,
  ): Promise<OperationResult> {
    const directory = this.callsight.directory;
    const viewer = directory.users.get(viewerId);
    if (!viewer) return refused("unknown-viewer", `no user ${viewerId}`);
    const sight = this.sightOf(viewerId);
    // Calls are looked up only for a user who exists; the domain decides the viewer's rights before it
    // looks at them, and the reply says nothing about a call the viewer does not see.
    const known = req.target !== undefined && directory.users.has(req.target) ? req.target : undefined;
    switch (operation) {
      case "pickup": {
        // A call that is not ringing (any more) is still named, so the refusal can say "not ringing".
        const call = known
          ? (this.callOfUser(known, (state) => state === "ringing") ?? this.callOfUser(known, () => true))
          : undefined;
        const decision = authorize(directory, viewerId, "pickup", target(req, call), sight);
        if (!decision.allowed) return fromDecision(decision);
        const leg = call!.legs.find((l) => l.user === known && l.state === "ringing")!;
        return this.run1(call!.pbx, (d) =>
          d.pickup({ pickerEndpoint: this.endpointOf(viewer, d), targetLeg: leg.leg }),
        );
      }
      case "parkedPickup": {
        const call = this.callById(req);
        const decision = authorize(
          directory,
          viewerId,
          "parkedPickup",
          { ...(req.call !== undefined ? { callId: req.call } : {}), ...(call ? { call } : {}) },
          sight,
        );
        if (!decision.allowed) return fromDecision(decision);
        const parked = call!.parked!;
        return this.run1(call!.pbx, (d) =>
          d.pickupParked({
            pickerEndpoint: this.endpointOf(viewer, d),
            lot: parked.lot,
            space: parked.space,
          }),
        );
      }
      case "sendToIvr": {
        // With several calls, `call` says which one.
        const call = !known
          ? undefined
          : req.call
            ? this.callById(req)
            : this.callOfUser(known, (state) => state !== "ringing");
        const decision = authorize(directory, viewerId, "sendToIvr", target(req, call), sight);
        if (!decision.allowed) return fromDecision(decision);
        const leg =
          (req.leg ? call!.legs.find((l) => l.leg === req.leg) : undefined) ??
          call!.legs.find((l) => l.external) ??
          call!.legs.find((l) => l.user !== known) ??
          call!.legs.find((l) => l.user === known);
        if (!leg) return refused("no-call", `${known}'s call has no leg to send`);
        const ivr = this.callsight.config.pbx.find((p) => p.id === call!.pbx)?.ivr ?? {
          context: "ivr",
          exten: "s",
        };
        return this.run1(call!.pbx, (d) =>
          d.sendToIvr({ leg: leg.leg, context: ivr.context, exten: ivr.exten }),
        );
      }
      case "listen":
      case "whisper":
      case "barge": {
        const call = known
          ? (this.callOfUser(known, (state) => state !== "ringing") ?? this.callOfUser(known, () => true))
          : undefined;
        const decision = authorize(directory, viewerId, operation, target(req, call), sight);
        if (!decision.allowed) return fromDecision(decision);
        const leg = call!.legs.find((l) => l.user === known)!;
        return this.run1(call!.pbx, (d) =>
          d.monitor({
            supervisorEndpoint: this.endpointOf(viewer, d),
            targetLeg: leg.leg,
            mode: operation as MonitoringMode,
            beep: this.options.monitoringBeep,
          }),
        );
      }
      case "recordStart":
      case "recordStop": {
        // By call id, or the named user's call.
        const call = req.call ? this.callById(req) : known ? this.callOfUser(known, () => true) : undefined;
        const decision = authorizeRecording(
          directory,
          viewerId,
          req.call
            ? { callId: req.call, ...(call ? { call } : {}) }
            : { ...(req.target !== undefined ? { user: req.target } : {}), ...(call ? { call } : {}) },
          sight,
        );
        if (!decision.allowed) return fromDecision(decision);
        const found = call!;
        // Record on the outside party's leg when there is one: it stays in the call across transfers.
        const leg = found.legs.find((l) => l.external) ?? found.legs[0];
        if (!leg) return refused("no-call", "the call has no leg to record");
        if (operation === "recordStop") {
          const recorded = found.legs.find((l) => l.recording) ?? leg;
          const result = await this.run1(found.pbx, (d) => d.stopRecording({ leg: recorded.leg }));
          if (result.body.status === "accepted") this.options.onDemand?.(found.pbx, found.id, undefined);
          return result;
        }
        const file = `callsight-${found.id}-${leg.leg}-${Date.now()}.wav`;
        this.options.onDemand?.(found.pbx, found.id, viewerId);
        return this.run1(found.pbx, (d) => d.startRecording({ leg: leg.leg, callId: found.id, file }));
      }
    }
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

  private async run1(
    pbx: string,
    command: (driver: PbxDriver) => Promise<CommandOutcome>,
  ): Promise<OperationResult> {
    const driver = this.callsight.driver(pbx);
    if (!driver)
      return { httpStatus: 502, body: { status: "failed", message: `no connection to pbx ${pbx}` } };
    let outcome: CommandOutcome;
    try {
      outcome = await command(driver);
    } catch (err) {
      outcome = { status: "failed", message: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.status === "accepted") {
      return {
        httpStatus: 202,
        body: { status: "accepted", ...(outcome.detail ? { detail: outcome.detail } : {}) },
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

/** The domain's view of a request on a user's call. */
function target(req: OperationRequest, call: CallView | undefined): OperationTarget {
  return { ...(req.target !== undefined ? { user: req.target } : {}), ...(call ? { call } : {}) };
}

function refused(reason: RefusalReason, message: string): OperationResult {
  const httpStatus = NOT_FOUND.has(reason) ? 404 : CONFLICT.has(reason) ? 409 : 403;
  return { httpStatus, body: { status: "refused", reason, message } };
}

function fromDecision(decision: Exclude<Decision, { allowed: true }>): OperationResult {
  return refused(decision.reason, decision.message);
}
