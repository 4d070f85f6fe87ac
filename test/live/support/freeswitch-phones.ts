// FreeSWITCH live scenarios driven by the phones alone: transfers by SIP REFER (blind, and attended with
// Replaces), do-not-disturb from the feature codes of dialplan/freeswitch/callsight.xml, and a phone's
// registration lost and back. Asserted through the WebSocket viewer (and the API's call ids).

import { expect, it } from "vitest";
import { type FsLive, idle, shownOnCallWith } from "./freeswitch-checks.js";
import { onCallWith } from "./scenarios.js";

export function phoneScenarios(live: () => FsLive): void {
  it("blind transfer started by the phone (SIP REFER): one call, now between the outside party and 1002", async () => {
    const { site, admin } = live();
    const { phones, carrier, pbx } = site;
    const from = admin.history.get("1001")?.length ?? 0;
    const outside = await carrier.answer({ ringMs: 300 });
    const target = await phones["1002"]!.answer({ ringMs: 300 });
    // 1001 calls out, then transfers the outside party to 1002 from the phone.
    const transferrer = await phones["1001"]!.call("17778732492", [{ pauseMs: 800 }, { refer: "1002" }]);
    const before = await admin.sees(
      "1001 on the outbound call",
      shownOnCallWith("1001", "17778732492", from),
    );
    expect(await transferrer.done).toBe(0);
    const after = await admin.sees(
      "1002 on a call with the outside party",
      onCallWith("1002", "17778732492"),
    );
    expect(after.call).toBe(before.call);
    await admin.sees("1001 idle", idle("1001"));
    expect(admin.person("1002")?.calls).toHaveLength(1);
    await pbx.hangupDevice("1002");
    await admin.sees("1002 idle", idle("1002"));
    expect(await target.done).toBe(0);
    expect(await outside.done).toBe(0);
  });

  it("attended transfer started by the phone (SIP REFER with Replaces): the outside party ends up with 1003, one call", async () => {
    const { site, admin } = live();
    const { phones, carrier, pbx } = site;
    const from1001 = admin.history.get("1001")?.length ?? 0;
    const from1003 = admin.history.get("1003")?.length ?? 0;
    const outside = await carrier.answer({ ringMs: 300 });
    const consulted = await phones["1003"]!.answer({ ringMs: 300 });
    // 1001 calls out, consults 1003 on a second dialog, then REFERs the outside party to 1003 (Replaces).
    await phones["1001"]!.attendedTransfer("17778732492", "1003");
    const before = await admin.sees(
      "1001 on the outbound call",
      shownOnCallWith("1001", "17778732492", from1001),
    );
    await admin.sees("1001 consulting 1003", shownOnCallWith("1003", "1001", from1003));
    const after = await admin.sees(
      "1003 on a call with the outside party",
      onCallWith("1003", "17778732492"),
      30_000,
    );
    expect(after.call).toBe(before.call);
    await admin.sees("1001 idle", idle("1001"), 30_000);
    expect(admin.person("1003")?.calls).toHaveLength(1);
    await pbx.hangupDevice("1003");
    await admin.sees("1003 idle", idle("1003"));
    expect(await consulted.done).toBe(0);
    expect(await outside.done).toBe(0);
  });

  it("DND from the phone's feature codes (*78 on, *79 off): shown on the board", async () => {
    const { site, admin } = live();
    const { phones, pbx } = site;
    const on = await phones["1005"]!.call("*78");
    expect(await on.done).toBe(0);
    await admin.sees("1005 dnd", (v) => v.person("1005")?.presence === "dnd");
    // Kept in FreeSWITCH's db, where Callsight reads it again after a reconnect.
    expect((await pbx.api("db select/callsight_dnd/1005")).trim()).toBe("on");
    const off = await phones["1005"]!.call("*79");
    expect(await off.done).toBe(0);
    await admin.sees("1005 available", idle("1005"));
    expect((await pbx.api("db exists/callsight_dnd/1005")).trim()).toBe("false");
  });

  it("registration lost and back: 1006 offline once it unregisters, available when it registers again", async () => {
    const { site, admin } = live();
    const { phones } = site;
    // 1006 registered at start-up (sipp, Expires 3600); this REGISTER with Expires 0 is another sipp
    // process, with another Call-ID, as a phone that rebooted has.
    expect(await (await phones["1006"]!.register(0)).done).toBe(0);
    await admin.sees("1006 offline", (v) => v.person("1006")?.presence === "offline");
    expect(await (await phones["1006"]!.register(120)).done).toBe(0);
    await admin.sees("1006 available", (v) => v.person("1006")?.presence === "available");
    expect(await (await phones["1006"]!.register(0)).done).toBe(0);
    await admin.sees("1006 offline again", (v) => v.person("1006")?.presence === "offline");
    // Registered again for the next scenarios (everyone shows available between them).
    expect(await (await phones["1006"]!.register(3600)).done).toBe(0);
    await admin.sees("1006 available again", (v) => v.person("1006")?.presence === "available");
  });
}
