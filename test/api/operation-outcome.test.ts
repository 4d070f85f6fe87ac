// One meaning of 202: the PBX took the command. What became of it follows on the stream of the viewer who
// asked (an `operation` message naming the 202's `operation` id), for no one else, and in the audit log as
// a second entry naming the first. Listen through the API on the simulated AMI (the Originate's
// OriginateResponse) and ARI (the supervisor's channel answering after the reply). (FreeSWITCH reports it
// from the originate job's result, which the ESL simulator does not deliver for eavesdrop originates yet.)

import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../ami/helpers.js";
import { type Harness, StreamClient, startHarness } from "./harness.js";
import { ami, ari, CONFIG, type Pbx } from "./sim-pbx.js";

describe.each([
  ["Asterisk AMI", ami],
  ["Asterisk ARI", ari],
] as const)("what became of an accepted listen on %s", (_name, make) => {
  let h: Harness | undefined;
  let pbx: Pbx | undefined;
  const clients: StreamClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await h?.close();
    await pbx?.stop();
  });

  it("reaches the requester's stream only, and is audited after the 202", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: CONFIG });
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    const call = pbx.call();
    await waitFor(() => h!.callsight.model.presenceOf("1002") === "on-call", "Bob on a call");
    const ws = h.base.replace("http", "ws");
    const dave = await h.token("1004");
    const admin = await h.token("admin");
    const daves = new StreamClient(`${ws}/v1/stream?access_token=${dave}`);
    const admins = new StreamClient(`${ws}/v1/stream?access_token=${admin}`);
    clients.push(daves, admins);
    await daves.next((m) => m.type === "snapshot");
    await admins.next((m) => m.type === "snapshot");

    const taken = await h.request("POST", "/v1/operations/listen", dave, { target: "1002" });
    expect(taken).toMatchObject({ status: 202, body: { status: "accepted", operation: expect.any(String) } });
    const id = taken.body.operation as string;
    const told = await daves.next((m) => m.type === "operation", 10_000);
    expect(told).toEqual({
      type: "operation",
      operation: id,
      action: "listen",
      result: "joined",
      ...(told.message ? { message: told.message } : {}),
    });
    // Sent to Dave's connections in the same step as his: nobody else got one.
    expect(admins.messages.some((m) => m.type === "operation")).toBe(false);

    const audit = await h.request("GET", "/v1/audit?action=listen", admin);
    const entries = audit.body.entries as any[];
    expect(entries.map((e) => e.outcome)).toEqual(["accepted", "accepted"]);
    expect(entries[0].id).toBe(id);
    expect(entries[1].detail).toEqual({ operation: id, result: "joined" });
    call.resume();
    await call.done;
  });
});
