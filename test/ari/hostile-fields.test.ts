// Issue 14 fuzz findings on ARI: a field of another type than the ARI data model says (a bridge name
// that is a number, `channels` that is not a list, a caller name that is an object) made the translator
// throw or pass the value on into a normalized event, and an event type named like an Object.prototype
// member turned its unknown-event counter into a string. parseAriMessage now drops such fields.

import { describe, expect, it } from "vitest";
import { parseAriMessage } from "../../src/pbx/asterisk-ari/trace.js";
import { AriTranslator } from "../../src/pbx/asterisk-ari/translate.js";

const CHANNEL = {
  id: "1.82",
  name: "PJSIP/1002-00000052",
  state: "Up",
  caller: { name: "Bob Sales", number: "1002" },
  connected: { name: "", number: "" },
  dialplan: { context: "internal", exten: "", priority: 1 },
};

function translate(...messages: unknown[]) {
  const translator = new AriTranslator("pbx");
  const events = messages.flatMap((m) => {
    const parsed = parseAriMessage(JSON.stringify(m));
    return parsed.event ? translator.translate(parsed.event) : [];
  });
  return { events, translator };
}

describe("ARI messages with fields of the wrong type", () => {
  it("a bridge whose name or channels have another type is read without them", () => {
    for (const bridge of [
      { id: "b1", name: 42, channels: ["1.82"], bridge_type: "mixing", bridge_class: "basic" },
      { id: "b1", name: "", channels: 7, bridge_type: "mixing", bridge_class: "basic" },
      { id: "b1", name: "", channels: {}, bridge_type: "mixing", bridge_class: "basic" },
    ]) {
      const { events } = translate({ type: "ChannelEnteredBridge", channel: CHANNEL, bridge });
      expect(events.map((e) => e.type)).toEqual(["leg.created", "leg.bridged"]);
    }
  });

  it("a caller name or number that is not a string never reaches a normalized event", () => {
    for (const caller of [
      { name: { id: "x" }, number: 1002 },
      { name: true, number: [] },
    ]) {
      const { events } = translate({ type: "ChannelCreated", channel: { ...CHANNEL, caller } });
      const created = events.find((e) => e.type === "leg.created");
      expect(created).toBeDefined();
      for (const [k, v] of Object.entries(created ?? {})) {
        expect(["string", "number", "boolean"], k).toContain(typeof v);
      }
    }
  });

  it("a dial string that is not a string is none", () => {
    const { events } = translate(
      { type: "ChannelCreated", channel: CHANNEL },
      { type: "Dial", peer: { ...CHANNEL, id: "1.83" }, caller: CHANNEL, dialstring: 12345 },
    );
    const dial = events.find((e) => e.type === "dial.started");
    expect(dial).toMatchObject({ type: "dial.started", dialString: "" });
  });

  it("counts unknown event types named toString or constructor as numbers", () => {
    const { translator } = translate({ type: "toString" }, { type: "toString" }, { type: "constructor" });
    expect({ ...translator.counters.unknown }).toEqual({ toString: 2, constructor: 1 });
  });
});
