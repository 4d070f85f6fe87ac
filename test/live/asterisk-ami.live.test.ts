// Callsight over AMI on a real Asterisk 22, with sipp phones: each scenario is driven by the phones
// (or the API, for operations) and asserted through the WebSocket stream, the API and the store.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AsteriskSite, startAsteriskSite } from "./support/asterisk-site.js";
import { until } from "./support/processes.js";
import { LiveViewer } from "./support/viewer.js";

describe("Asterisk 22 over AMI, live", () => {
  let site: AsteriskSite;
  let admin: LiveViewer;

  beforeAll(async () => {
    site = await startAsteriskSite("ami");
    admin = await LiveViewer.connect(site.callsight, "admin");
  });
  afterAll(async () => {
    admin?.close();
    await site?.teardown();
  });

  it("internal call answered: both tiles ring, then show the call with the other party, then idle", async () => {
    const { phones, pbx } = site;
    const callee = await phones["1002"]!.answer({ ringMs: 1000 });
    const caller = await phones["1001"]!.call("1002");
    await admin.sees("1001 on a call with 1002", (v) =>
      v.person("1001")?.calls?.find((c) => c.state === "up" && c.remote?.some((r) => r.number === "1002")),
    );
    expect(admin.history.get("1002")?.some((p) => p.presence === "ringing")).toBe(true);
    await pbx.hangupDevice("PJSIP/1001");
    await admin.sees(
      "1001 and 1002 idle",
      (v) => v.person("1001")?.presence === "available" && v.person("1002")?.presence === "available",
    );
    expect(await caller.done).toBe(0);
    expect(await callee.done).toBe(0);
  });
});
