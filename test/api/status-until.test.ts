// End times of statuses across instances: kept in Redis, carried out by exactly one instance — the owner
// of the user's PBX, and of several that think they own it, the one that claims the entry first — and
// carried out after a restart. Instances share one Redis prefix; their drivers record what they were asked.

import { afterEach, describe, expect, it } from "vitest";
import { UntilStore } from "../../src/api/status/until-store.js";
import { ScriptedDriver, until } from "../cluster/helpers.js";
import { type Harness, startHarness } from "./harness.js";
import { CONFIG } from "./sim-pbx.js";

const statusCommands = (d: ScriptedDriver) => d.commands.filter((c) => c.op === "setStatus");

describe("status end times across instances", () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  async function instance(
    prefix: string | undefined,
    owner: boolean,
  ): Promise<{ h: Harness; driver: ScriptedDriver }> {
    const driver = new ScriptedDriver("main");
    const h = await startHarness({
      drivers: [driver],
      config: CONFIG,
      ...(prefix ? { prefix } : {}),
      status: { isOwner: () => owner, pollMs: 50, claimMs: 2000 },
    });
    open.push(h);
    await until(() => driver.running, "the driver started");
    return { h, driver };
  }

  it("set on one instance, carried out by the PBX's owner only; shown by both", async () => {
    const a = await instance(undefined, true);
    const b = await instance(a.h.prefix, false);
    const untilAt = Date.now() + 300;
    const set = await b.h.request("PUT", "/v1/status", await b.h.token("1002"), {
      status: "away",
      until: untilAt,
    });
    expect(set.status).toBe(202);
    expect(statusCommands(b.driver)).toEqual([
      { op: "setStatus", req: { extension: "1002", status: "away" } },
    ]);
    // Both instances know the end time (Redis, announced to every instance).
    for (const { h } of [a, b])
      await until(
        () => h.api.status.statusesFor("admin").find((s) => s.user === "1002")?.until === untilAt,
        "until",
      );
    await until(() => statusCommands(a.driver).length === 1, "the owner set it back");
    expect(statusCommands(a.driver)[0]).toEqual({
      op: "setStatus",
      req: { extension: "1002", status: "available" },
    });
    for (const { h } of [a, b])
      await until(
        () => h.api.status.statusesFor("admin").find((s) => s.user === "1002")?.until === undefined,
        "gone",
      );
    expect(statusCommands(b.driver)).toHaveLength(1);
  });

  it("of several instances that carry end times out, exactly one does each", async () => {
    const first = await instance(undefined, true);
    const others = [first, await instance(first.h.prefix, true), await instance(first.h.prefix, true)];
    const store = new UntilStore(first.h.redis, first.h.prefix);
    const users = ["1001", "1002", "1003", "1004", "1005", "1006"];
    const at = Date.now() + 200;
    for (const user of users) await store.set(user, { until: at, status: "dnd", by: "admin" });
    await until(
      () => others.reduce((n, o) => n + statusCommands(o.driver).length, 0) === users.length,
      "every end time carried out",
    );
    // A little longer: nobody carries one out twice.
    await new Promise((r) => setTimeout(r, 300));
    const done = others.flatMap((o) =>
      statusCommands(o.driver).map((c) => (c.req as { extension: string }).extension),
    );
    expect(done.sort()).toEqual(users);
    expect(await store.all()).toEqual(new Map());
  });

  it("survives a restart: an end time that passed while no instance ran is carried out at start", async () => {
    const a = await instance(undefined, true);
    const prefix = a.h.prefix;
    expect(
      (
        await a.h.request("PUT", "/v1/status", await a.h.token("1004"), {
          status: "dnd",
          until: Date.now() + 250,
        })
      ).status,
    ).toBe(202);
    await open.splice(0)[0]!.close();
    await new Promise((r) => setTimeout(r, 300));
    const restarted = await instance(prefix, true);
    await until(() => statusCommands(restarted.driver).length === 1, "set back after the restart");
    expect(statusCommands(restarted.driver)[0]?.req).toEqual({ extension: "1004", status: "available" });
  });

  it("a failed revert is tried again once its claim lapses", async () => {
    const a = await instance(undefined, true);
    const store = new UntilStore(a.h.redis, a.h.prefix);
    await a.driver.stop();
    await store.set("1005", { until: Date.now() + 50, status: "away", by: "1005" });
    await until(() => a.h.api.status.counters.revertFailed >= 1, "a failed attempt");
    expect(await store.get("1005")).toBeDefined();
    a.driver.start();
    await until(() => statusCommands(a.driver).length === 1, "carried out once the PBX is back", 8000);
    await until(async () => (await store.get("1005")) === undefined, "gone");
  });
});
