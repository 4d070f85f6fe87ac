// Take over through the API on each simulated PBX: a supervisor's phone replaces the agent in an answered
// inbound call, the agent is released, the caller stays; the switch and the role are checked first, and
// every attempt is audited. Real sockets to the simulators, a real Redis, the real API.

import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../ami/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG, type Pbx, SIMULATED_PBXES } from "./sim-pbx.js";

describe.each(SIMULATED_PBXES)("take over on %s, through the API", (_name, make) => {
  let h: Harness | undefined;
  let pbx: Pbx | undefined;

  afterEach(async () => {
    await h?.close();
    await pbx?.stop();
  });

  it("the supervisor's phone replaces the agent's: the caller stays, the agent is released; audited", async () => {
    pbx = await make();
    h = await startHarness({ drivers: [pbx.driver], config: CONFIG });
    const model = h.callsight.model;
    await waitFor(() => pbx!.driver.status().connected, "the PBX connected");
    const call = pbx.call();
    await waitFor(() => model.presenceOf("1002") === "on-call", "Bob on a call");
    const bobsCall = model.activeCalls().find((c) => c.legs.some((l) => l.user === "1002"))!;
    const caller = bobsCall.legs.find((l) => l.user !== "1002")!;
    const dave = await h.token("1004");

    // Take over is a switch of its own (off by default; the sample turns it on for Dave); an agent never may.
    const admin = await h.token("admin");
    const switched = (takeOver: boolean) =>
      h!.request("PATCH", "/v1/admin/users/1004", admin, { operations: { takeOver } });
    expect((await switched(false)).status).toBe(200);
    const off = await h.request("POST", "/v1/operations/take-over", dave, { target: "1002" });
    expect(off).toMatchObject({ status: 403, body: { reason: "operation-disabled" } });
    expect((await switched(true)).status).toBe(200);
    const agent = await h.request("POST", "/v1/operations/take-over", await h.token("1001"), {
      target: "1002",
    });
    expect(agent).toMatchObject({ status: 403, body: { reason: "operation-disabled" } });

    const taken = await h.request("POST", "/v1/operations/take-over", dave, { target: "1002" });
    expect(taken).toMatchObject({ status: 202, body: { status: "accepted" } });
    const daves = await waitFor(
      () =>
        model
          .activeCalls()
          .find(
            (c) =>
              c.legs.some((l) => l.user === "1004" && l.state === "up") &&
              c.legs.some((l) => l.leg === caller.leg && l.state === "up"),
          ),
      "Dave talking with Bob's caller",
    );
    expect(daves.legs.some((l) => l.user === "1002")).toBe(false);
    await waitFor(() => model.presenceOf("1002") === "available", "Bob released");
    expect(model.presenceOf("1004")).toBe("on-call");

    const audit = await h.request("GET", "/v1/audit?action=takeOver", admin);
    expect(audit.body.entries.map((e: any) => [e.actor, e.outcome])).toEqual(
      expect.arrayContaining([
        ["1004", "refused"],
        ["1001", "refused"],
        ["1004", "accepted"],
      ]),
    );
    call.resume();
    await call.done;
  });
});
