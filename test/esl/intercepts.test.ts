// Directed pickup on FreeSWITCH (EslIntercepts): which ringing leg an `intercept` took, from how the ringing
// legs end. A mod_callcenter caller intercepted from under its agents cancels every agent's leg
// (ORIGINATOR_CANCEL) in an order FreeSWITCH does not promise: whose call it was comes from what the
// picker dialled (FusionPBX's **<extension>), never from which agent's leg happened to end first.

import { describe, expect, it } from "vitest";
import { EslIntercepts } from "../../src/pbx/freeswitch-esl/translate-intercepts.js";
import type { KnownLeg } from "../../src/pbx/freeswitch-esl/translate-legs.js";

const leg = (uuid: string, o: Partial<KnownLeg> = {}): KnownLeg => ({
  uuid,
  leg: true,
  callId: "caller",
  outgoing: false,
  answered: false,
  ringing: false,
  held: false,
  ...o,
});

function queueCall() {
  const legs = new Map<string, KnownLeg>([
    ["caller", leg("caller", { number: "15551234567", answered: true })],
    ["a1001", leg("a1001", { number: "1001", outgoing: true, originator: "caller", ringing: true })],
    ["a1002", leg("a1002", { number: "1002", outgoing: true, originator: "caller", ringing: true })],
    ["picker", leg("picker", { number: "1003", callId: "picker", answered: true })],
  ]);
  return { legs, intercepts: new EslIntercepts(legs) };
}

/** Leg `uuid` hangs up: gone from the known legs, then asked about. */
function hangUp(legs: Map<string, KnownLeg>, intercepts: EslIntercepts, uuid: string, cause: string) {
  const l = legs.get(uuid)!;
  legs.delete(uuid);
  return intercepts.pickedUp(l, cause);
}

describe("EslIntercepts: a queue caller intercepted from under its ringing agents", () => {
  it.each([
    ["1001 first", ["a1001", "a1002"]],
    ["1002 first", ["a1002", "a1001"]],
  ])("**1001 takes 1001's ringing call, whichever agent's leg ends first (%s)", (_, order) => {
    const { legs, intercepts } = queueCall();
    intercepts.intercept("picker", "caller", "**1001");
    const found = order.map((id) => hangUp(legs, intercepts, id, "ORIGINATOR_CANCEL"));
    expect(found.filter(Boolean)).toEqual([{ picker: "picker", target: "a1001" }]);
  });

  it("with one agent ringing, that agent's call, whatever was dialled", () => {
    const { legs, intercepts } = queueCall();
    legs.delete("a1002");
    intercepts.intercept("picker", "caller", "*8");
    expect(hangUp(legs, intercepts, "a1001", "ORIGINATOR_CANCEL")).toEqual({
      picker: "picker",
      target: "a1001",
    });
  });

  it("with several ringing and nothing naming one, no pickup is made up", () => {
    const { legs, intercepts } = queueCall();
    intercepts.intercept("picker", "caller", "*8");
    expect(hangUp(legs, intercepts, "a1001", "ORIGINATOR_CANCEL")).toBeUndefined();
    expect(hangUp(legs, intercepts, "a1002", "ORIGINATOR_CANCEL")).toBeUndefined();
  });

  it("a caller who hangs up while the agents ring (no intercept) is no pickup", () => {
    const { legs, intercepts } = queueCall();
    expect(hangUp(legs, intercepts, "a1001", "ORIGINATOR_CANCEL")).toBeUndefined();
  });

  it("a picker gone before the agents' legs end takes nothing", () => {
    const { legs, intercepts } = queueCall();
    intercepts.intercept("picker", "caller", "**1001");
    legs.delete("picker");
    expect(hangUp(legs, intercepts, "a1001", "ORIGINATOR_CANCEL")).toBeUndefined();
  });
});

describe("EslIntercepts: a ringing leg intercepted itself (PICKED_OFF)", () => {
  it("the leg that ended PICKED_OFF, by the picker whose intercept named it or its caller", () => {
    const { legs, intercepts } = queueCall();
    intercepts.intercept("picker", "a1002", "**1002");
    expect(hangUp(legs, intercepts, "a1002", "PICKED_OFF")).toEqual({ picker: "picker", target: "a1002" });
    expect(hangUp(legs, intercepts, "a1001", "ORIGINATOR_CANCEL")).toBeUndefined();
  });
});
