// How each operation of the table (domain/operation-table.ts) becomes a PBX command: find the call in the
// model, ask the domain whether the viewer may (with the viewer's sight, so a refusal tells nothing the
// board does not), and name the legs the command acts on. One entry per operation; the operations service
// runs the command and audits it.

import { authorizeDial, type DialRules } from "../../domain/dial-right.js";
import type { Directory, MonitoringMode, User } from "../../domain/directory.js";
import type { CallView } from "../../domain/live-model.js";
import type { OperationName } from "../../domain/operation-table.js";
import {
  authorize,
  authorizeRecording,
  type Decision,
  type OperationTarget,
  type Sight,
} from "../../domain/permissions.js";
import type { PbxCommand } from "../../pbx/driver.js";

export interface OperationRequest {
  /** The user whose call is acted on. */
  target?: string;
  /** A call id (parked pickup, recording); with `pbx` when several PBXes are configured. */
  call?: string;
  pbx?: string;
  /** For send to IVR: which leg to send (default: the outside party). */
  leg?: string;
  /** For click-to-call: a colleague's user id, or a phone number. */
  to?: string;
}

export interface OperationContext {
  operation: OperationName;
  viewer: User;
  req: OperationRequest;
  directory: Directory;
  sight: Sight;
  /** The named target when that user exists. */
  known: string | undefined;
  callOfUser(user: string, legState: (state: string) => boolean): CallView | undefined;
  callById(req: OperationRequest): CallView | undefined;
  ivrOf(pbx: string): { context: string; exten: string };
  /** Where click-to-call dials on a PBX, and what that PBX calls an extension. */
  dialOf(pbx: string): DialRules & { context: string };
  monitoringBeep: boolean;
}

/**
 * A refusal, or the command for the call's PBX (given the phone an operation rings for a user there). A
 * command that starts a call (click-to-call) has no call yet: its `callId` is empty.
 */
export type Prepared =
  | { refusal: Exclude<Decision, { allowed: true }> }
  | { pbx: string; callId: string; command: (endpointOf: (user: User) => string) => PbxCommand };

type Preparer = (ctx: OperationContext) => Prepared;

const ANY = () => true;

/** The domain's view of a request on a user's call. */
function target(req: OperationRequest, call: CallView | undefined): OperationTarget {
  return { ...(req.target !== undefined ? { user: req.target } : {}), ...(call ? { call } : {}) };
}

function decide(decision: Decision): Prepared | undefined {
  return decision.allowed ? undefined : { refusal: decision };
}

/** The target's answered call (or any call of theirs, so that a refusal can say "not answered"). */
function talkingCall(ctx: OperationContext): CallView | undefined {
  const { known } = ctx;
  return known
    ? (ctx.callOfUser(known, (state) => state !== "ringing") ?? ctx.callOfUser(known, ANY))
    : undefined;
}

const monitor: Preparer = (ctx) => {
  const call = talkingCall(ctx);
  const refusal = decide(
    authorize(
      ctx.directory,
      ctx.viewer.id,
      ctx.operation as MonitoringMode,
      target(ctx.req, call),
      ctx.sight,
    ),
  );
  if (refusal) return refusal;
  const leg = call!.legs.find((l) => l.user === ctx.known)!;
  return {
    pbx: call!.pbx,
    callId: call!.id,
    command: (endpointOf) => ({
      op: "monitor",
      req: {
        supervisorEndpoint: endpointOf(ctx.viewer),
        targetLeg: leg.leg,
        mode: ctx.operation as MonitoringMode,
        beep: ctx.monitoringBeep,
      },
    }),
  };
};

const recording: Preparer = (ctx) => {
  const { req, known } = ctx;
  // By call id, or the named user's call.
  const call = req.call ? ctx.callById(req) : known ? ctx.callOfUser(known, ANY) : undefined;
  const refusal = decide(
    authorizeRecording(
      ctx.directory,
      ctx.viewer.id,
      req.call
        ? { callId: req.call, ...(call ? { call } : {}) }
        : { ...(req.target !== undefined ? { user: req.target } : {}), ...(call ? { call } : {}) },
      ctx.sight,
    ),
  );
  if (refusal) return refusal;
  const found = call!;
  // Record on the outside party's leg when there is one: it stays in the call across transfers.
  const leg = found.legs.find((l) => l.external) ?? found.legs[0];
  if (!leg)
    return { refusal: { allowed: false, reason: "no-call", message: "the call has no leg to record" } };
  if (ctx.operation === "recordStop") {
    const recorded = found.legs.find((l) => l.recording) ?? leg;
    return {
      pbx: found.pbx,
      callId: found.id,
      command: () => ({ op: "stopRecording", req: { leg: recorded.leg } }),
    };
  }
  const file = `callsight-${found.id}-${leg.leg}-${Date.now()}.wav`;
  return {
    pbx: found.pbx,
    callId: found.id,
    command: () => ({ op: "startRecording", req: { leg: leg.leg, callId: found.id, file } }),
  };
};

export const OPERATION_COMMANDS: Record<OperationName, Preparer> = {
  pickup: (ctx) => {
    const { known } = ctx;
    // A call that is not ringing (any more) is still named, so the refusal can say "not ringing".
    const call = known
      ? (ctx.callOfUser(known, (state) => state === "ringing") ?? ctx.callOfUser(known, ANY))
      : undefined;
    const refusal = decide(
      authorize(ctx.directory, ctx.viewer.id, "pickup", target(ctx.req, call), ctx.sight),
    );
    if (refusal) return refusal;
    const leg = call!.legs.find((l) => l.user === known && l.state === "ringing")!;
    return {
      pbx: call!.pbx,
      callId: call!.id,
      command: (endpointOf) => ({
        op: "pickup",
        req: { pickerEndpoint: endpointOf(ctx.viewer), targetLeg: leg.leg },
      }),
    };
  },
  parkedPickup: (ctx) => {
    const { req } = ctx;
    const call = ctx.callById(req);
    const refusal = decide(
      authorize(
        ctx.directory,
        ctx.viewer.id,
        "parkedPickup",
        { ...(req.call !== undefined ? { callId: req.call } : {}), ...(call ? { call } : {}) },
        ctx.sight,
      ),
    );
    if (refusal) return refusal;
    const parked = call!.parked!;
    return {
      pbx: call!.pbx,
      callId: call!.id,
      command: (endpointOf) => ({
        op: "pickupParked",
        req: { pickerEndpoint: endpointOf(ctx.viewer), lot: parked.lot, space: parked.space },
      }),
    };
  },
  sendToIvr: (ctx) => {
    const { req, known } = ctx;
    // With several calls, `call` says which one.
    const call = !known
      ? undefined
      : req.call
        ? ctx.callById(req)
        : ctx.callOfUser(known, (state) => state !== "ringing");
    const refusal = decide(
      authorize(ctx.directory, ctx.viewer.id, "sendToIvr", target(req, call), ctx.sight),
    );
    if (refusal) return refusal;
    const leg =
      (req.leg ? call!.legs.find((l) => l.leg === req.leg) : undefined) ??
      call!.legs.find((l) => l.external) ??
      call!.legs.find((l) => l.user !== known) ??
      call!.legs.find((l) => l.user === known);
    if (!leg)
      return {
        refusal: { allowed: false, reason: "no-call", message: `${known}'s call has no leg to send` },
      };
    const ivr = ctx.ivrOf(call!.pbx);
    return {
      pbx: call!.pbx,
      callId: call!.id,
      command: () => ({ op: "sendToIvr", req: { leg: leg.leg, context: ivr.context, exten: ivr.exten } }),
    };
  },
  listen: monitor,
  whisper: monitor,
  barge: monitor,
  takeOver: (ctx) => {
    const call = talkingCall(ctx);
    const refusal = decide(
      authorize(ctx.directory, ctx.viewer.id, "takeOver", target(ctx.req, call), ctx.sight),
    );
    if (refusal) return refusal;
    const agent = call!.legs.find((l) => l.user === ctx.known)!;
    // The party the agent talks to: the outside party, else another leg of the call (not a spy's).
    const other =
      call!.legs.find((l) => l.external) ??
      call!.legs.find((l) => l.user !== ctx.known && l.leg !== agent.leg);
    if (!other)
      return {
        refusal: {
          allowed: false,
          reason: "no-call",
          message: `${ctx.known}'s call has nobody else to keep`,
        },
      };
    return {
      pbx: call!.pbx,
      callId: call!.id,
      command: (endpointOf) => ({
        op: "takeOver",
        req: { supervisorEndpoint: endpointOf(ctx.viewer), agentLeg: agent.leg, otherLeg: other.leg },
      }),
    };
  },
  recordStart: recording,
  recordStop: recording,
  dial: (ctx) => {
    const { viewer } = ctx;
    const dial = ctx.dialOf(viewer.pbx);
    const decision = authorizeDial(ctx.directory, viewer.id, ctx.req.to ?? "", dial);
    if (!decision.allowed) return { refusal: decision };
    // The viewer's phone on their own PBX rings first; the destination is dialled there, as them.
    return {
      pbx: viewer.pbx,
      callId: "",
      command: (endpointOf) => ({
        op: "dial",
        req: {
          callerEndpoint: endpointOf(viewer),
          destination: decision.destination,
          context: dial.context,
          callerIdNumber: viewer.extension,
          callerIdName: viewer.name,
        },
      }),
    };
  },
};
