// A directory and PBX events for rule P (who calls, before I pick up) and parked calls' parkers, shared by the
// API test (board-ringing-callers.test.ts) and the Chromium test (test/web/board-ringing.test.ts).

import { readFileSync } from "node:fs";
import type { PbxEvent } from "../../src/domain/events.js";

export const CALLER = "15557654321";
export const CALLER_NAME = "ACME Widgets";

/** The example configuration's settings with a directory made for rule P. */
export function ringingConfig(): string {
  const example = readFileSync("callsight.example.yaml", "utf8");
  const head = example.slice(0, example.search(/^departments:/m));
  return `${head}departments:
  - { id: sales, name: "Sales Team" }
  - { id: support, name: "Customer Support" }
users:
  - { id: "3001", name: Cora Callee, extension: "3001", departments: [sales] }
  - { id: "3002", name: Paula Pickup, extension: "3002", departments: [sales], calls: false }
  - { id: "3003", name: Nick NoPickup, extension: "3003", departments: [sales], calls: false, operations: { pickup: false } }
  - { id: "3004", name: Sam Shy, extension: "3004", departments: [sales], showMyCalls: false }
  - { id: "3005", name: Dana Desk, extension: "3005", departments: [support] }
  - { id: admin, name: Ada Admin, extension: "3099", departments: [sales, support], role: admin }
`;
}

let at = Date.now();

function leg(id: string, callId: string, who: string, outgoing: boolean, external: boolean): PbxEvent {
  at += 10;
  return external
    ? {
        pbx: "main",
        at,
        type: "leg.created",
        leg: id,
        callId,
        channel: `PJSIP/carrier-${id}`,
        endpoint: "PJSIP/carrier",
        side: "external",
        number: who,
        name: CALLER_NAME,
        outgoing,
      }
    : {
        pbx: "main",
        at,
        type: "leg.created",
        leg: id,
        callId,
        channel: `PJSIP/${who}-${id}`,
        endpoint: `PJSIP/${who}`,
        side: "internal",
        number: who,
        name: "",
        outgoing,
      };
}

/** An outside caller ringing `ext` (legs `<tag>.in` and `<tag>.out`). */
export function ring(tag: string, ext: string): PbxEvent[] {
  at += 10;
  return [
    leg(`${tag}.in`, tag, CALLER, false, true),
    leg(`${tag}.out`, tag, ext, true, false),
    { pbx: "main", at, type: "leg.ringing", leg: `${tag}.out` },
  ];
}

export function answer(tag: string): PbxEvent[] {
  at += 10;
  return [
    { pbx: "main", at, type: "leg.answered", leg: `${tag}.out` },
    { pbx: "main", at, type: "leg.answered", leg: `${tag}.in` },
    { pbx: "main", at, type: "leg.bridged", leg: `${tag}.in`, bridge: `${tag}.br`, callId: tag },
    { pbx: "main", at, type: "leg.bridged", leg: `${tag}.out`, bridge: `${tag}.br`, callId: tag },
  ];
}

/** The callee parks the caller (the PBX names the callee's leg as the parker) and hangs up. */
export function park(tag: string, space: string): PbxEvent[] {
  at += 10;
  return [
    { pbx: "main", at, type: "call.parked", leg: `${tag}.in`, lot: "default", space, parker: `${tag}.out` },
    { pbx: "main", at, type: "leg.unbridged", leg: `${tag}.out`, bridge: `${tag}.br` },
    { pbx: "main", at, type: "leg.hangup", leg: `${tag}.out`, cause: 16, causeText: "Normal Clearing" },
  ];
}

export function hangUp(tag: string): PbxEvent[] {
  at += 10;
  return [{ pbx: "main", at, type: "leg.hangup", leg: `${tag}.in`, cause: 16, causeText: "Normal Clearing" }];
}
