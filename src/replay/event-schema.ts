// Validates normalized events read from outside (JSONL traces): a bad line is reported, never applied.

import { z } from "zod";
import type { PbxEvent } from "../domain/events.js";

const base = { pbx: z.string().min(1), at: z.number() };
const leg = z.string().min(1);
const endpoint = {
  endpoint: z.string().min(1),
  side: z.enum(["internal", "external"]),
  number: z.string(),
  name: z.string().optional(),
};
const chosen = z.enum(["available", "away", "dnd", "unavailable", "not-set"]);

export const pbxEventSchema = z.discriminatedUnion("type", [
  z.object({
    ...base,
    ...endpoint,
    type: z.literal("leg.created"),
    leg,
    callId: z.string().min(1),
    channel: z.string(),
    dialled: z.string().optional(),
    outgoing: z.boolean(),
  }),
  z.object({
    ...base,
    type: z.literal("leg.identity"),
    leg,
    number: z.string().optional(),
    name: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal("leg.ringing"), leg }),
  z.object({ ...base, type: z.literal("leg.answered"), leg }),
  z.object({
    ...base,
    type: z.literal("dial.started"),
    caller: leg.optional(),
    callee: leg,
    dialString: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("dial.ended"),
    caller: leg.optional(),
    callee: leg,
    status: z.enum(["answered", "busy", "cancelled", "no-answer", "unavailable", "congestion", "other"]),
  }),
  z.object({ ...base, type: z.literal("leg.bridged"), leg, bridge: z.string(), callId: z.string().min(1) }),
  z.object({ ...base, type: z.literal("leg.unbridged"), leg, bridge: z.string() }),
  z.object({ ...base, type: z.literal("leg.held"), leg }),
  z.object({ ...base, type: z.literal("leg.unheld"), leg }),
  z.object({
    ...base,
    type: z.literal("call.parked"),
    leg,
    lot: z.string(),
    space: z.string(),
    parker: leg.optional(),
  }),
  z.object({
    ...base,
    type: z.literal("call.unparked"),
    leg,
    lot: z.string(),
    space: z.string(),
    outcome: z.enum(["retrieved", "timeout", "gave-up"]),
    retriever: leg.optional(),
  }),
  z.object({ ...base, type: z.literal("call.pickedUp"), picker: leg, target: leg }),
  z.object({
    ...base,
    type: z.literal("call.transferred"),
    kind: z.enum(["blind", "attended"]),
    transferer: leg,
    transferee: leg.optional(),
    destination: z.string().optional(),
    success: z.boolean(),
  }),
  z.object({ ...base, type: z.literal("leg.redirected"), leg, destination: z.string() }),
  z.object({
    ...base,
    type: z.literal("monitoring.started"),
    spy: leg,
    target: leg,
    mode: z.enum(["listen", "whisper", "barge"]),
  }),
  z.object({ ...base, type: z.literal("monitoring.stopped"), spy: leg, target: leg }),
  z.object({ ...base, type: z.literal("recording.started"), leg, file: z.string().optional() }),
  z.object({ ...base, type: z.literal("recording.stopped"), leg, file: z.string().optional() }),
  z.object({ ...base, type: z.literal("leg.hangup"), leg, cause: z.number().int(), causeText: z.string() }),
  z.object({
    ...base,
    type: z.literal("device.reachability"),
    endpoint: z.string().min(1),
    reachable: z.boolean(),
  }),
  z.object({
    ...base,
    type: z.literal("presence.state"),
    extension: z.string().min(1),
    state: chosen,
    message: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal("presence.dnd"), extension: z.string().min(1), on: z.boolean() }),
  z.object({
    ...base,
    type: z.literal("pbx.snapshot"),
    legs: z.array(
      z.object({
        ...endpoint,
        leg,
        callId: z.string().min(1),
        channel: z.string(),
        state: z.enum(["dialing", "ringing", "up"]),
        outgoing: z.boolean(),
        bridge: z.string().optional(),
        held: z.boolean().optional(),
        dialled: z.string().optional(),
        createdAt: z.number().optional(),
        answeredAt: z.number().optional(),
      }),
    ),
    reachability: z.array(z.object({ endpoint: z.string(), reachable: z.boolean() })),
    presence: z.array(z.object({ extension: z.string(), state: chosen, message: z.string().optional() })),
    dnd: z.array(z.object({ extension: z.string(), on: z.boolean() })),
    parked: z.array(z.object({ leg, lot: z.string(), space: z.string() })),
    recordings: z.array(z.object({ leg, file: z.string().optional() })).optional(),
  }),
  z.object({ ...base, type: z.literal("pbx.connection"), state: z.enum(["up", "down"]) }),
]);

export type ParsedEvent = { ok: true; event: PbxEvent } | { ok: false; problem: string };

export function parseEvent(value: unknown): ParsedEvent {
  const r = pbxEventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data as PbxEvent };
  const issue = r.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "event";
  return { ok: false, problem: `${path}: ${issue?.message ?? "invalid"}` };
}
