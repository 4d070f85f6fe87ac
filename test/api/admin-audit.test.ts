import { readFileSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { Callsight } from "../../src/runtime/callsight.js";
import { type Harness, startHarness } from "./harness.js";

describe("admin console API and audit log", () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.token("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  it("lists users with every setting", async () => {
    const r = await h.request("GET", "/v1/admin/users", admin);
    expect(r.status).toBe(200);
    const alice = r.body.users.find((u: any) => u.id === "1001");
    expect(alice).toMatchObject({ recording: "external", pickupDelegates: ["1004"], departments: ["sales"] });
  });

  it("rejects bad input with a 4xx naming the field, and changes nothing", async () => {
    const before = (await h.request("GET", "/v1/admin/directory", admin)).body.version;
    const bad = await h.request("PATCH", "/v1/admin/users/1002", admin, { recording: "sometimes" });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(['recording: expected off | external | all, got "sometimes"']);
    const typo = await h.request("PATCH", "/v1/admin/users/1002", admin, { showMyCall: true });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toContain("showMyCall");
    const dup = await h.request("POST", "/v1/admin/users", admin, {
      id: "zoe",
      name: "Zoe",
      extension: "1002",
      departments: ["sales"],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.message).toContain('duplicate extension "1002"');
    const unknownDept = await h.request("POST", "/v1/admin/users", admin, {
      id: "zoe",
      name: "Zoe",
      extension: "1010",
      departments: ["marketing"],
    });
    expect(unknownDept.status).toBe(400);
    expect(unknownDept.body.message).toContain('unknown department "marketing"');
    expect((await h.request("PATCH", "/v1/admin/users/nobody", admin, { calls: false })).status).toBe(404);
    expect((await h.request("GET", "/v1/admin/directory", admin)).body.version).toBe(before);
  });

  it("creates, updates (operations merge) and deletes users and departments", async () => {
    expect(
      (await h.request("POST", "/v1/admin/departments", admin, { id: "billing", name: "Billing" })).status,
    ).toBe(201);
    const created = await h.request("POST", "/v1/admin/users", admin, {
      id: "1010",
      name: "Gina Billing",
      extension: "1010",
      departments: ["billing"],
      recording: "all",
    });
    expect(created.status).toBe(201);
    const patched = await h.request("PATCH", "/v1/admin/users/1010", admin, { operations: { listen: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.operations).toEqual({ listen: true });
    const again = await h.request("PATCH", "/v1/admin/users/1010", admin, { operations: { barge: true } });
    expect(again.body.operations).toEqual({ listen: true, barge: true });
    expect(h.callsight.directory.users.get("1010")?.settings.operations.barge).toBe(true);
    expect((await h.request("DELETE", "/v1/admin/departments/billing", admin)).status).toBe(409);
    expect((await h.request("DELETE", "/v1/admin/users/1010", admin)).status).toBe(204);
    expect((await h.request("DELETE", "/v1/admin/departments/billing", admin)).status).toBe(204);
    expect(h.callsight.directory.users.has("1010")).toBe(false);
  });

  it("issues tokens: shown once, stored hashed", async () => {
    const r = await h.request("POST", "/v1/admin/tokens", admin, { user: "1005" });
    expect(r.status).toBe(201);
    expect(r.body.token).toMatch(/^cs_/);
    const stored = await h.redis.hgetall(`${h.prefix}tokens`);
    expect(JSON.stringify(stored)).not.toContain(r.body.token);
    expect((await h.request("GET", "/v1/me", r.body.token)).body.id).toBe("1005");
    const missing = await h.request("POST", "/v1/admin/tokens", admin, {});
    expect(missing.status).toBe(400);
    expect(missing.body.problems[0].field).toBe("user");
  });

  it("changes persist across restarts and reach other running instances", async () => {
    const config = parseConfig(readFileSync("callsight.example.yaml", "utf8"), "callsight.example.yaml", {});
    const other = new Callsight({
      config,
      redis: h.redis.duplicate(),
      prefix: h.prefix,
      drivers: [],
      logger: pino({ level: "silent" }),
    });
    await other.start();
    expect(other.directory.users.get("1006")?.settings.presence).toBe(false);
    await h.request("PATCH", "/v1/admin/users/1006", admin, { presence: true });
    // The other instance hears about it through Redis pub/sub.
    await vi.waitFor(() => expect(other.directory.users.get("1006")?.settings.presence).toBe(true), {
      timeout: 3000,
      interval: 20,
    });
    await other.stop();
    // A restart reads the stored directory, not the file.
    const restarted = new Callsight({
      config,
      redis: h.redis.duplicate(),
      prefix: h.prefix,
      drivers: [],
      logger: pino({ level: "silent" }),
    });
    await restarted.start();
    expect(restarted.directory.users.get("1006")?.settings.presence).toBe(true);
    await restarted.stop();
  }, 10_000);

  it("audits every operation attempt and settings change; admins query and export it", async () => {
    const alice = await h.token("1001");
    const refused = await h.request("POST", "/v1/operations/listen", alice, { target: "1002" });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ status: "refused", reason: "operation-disabled" });
    const noCall = await h.request("POST", "/v1/operations/listen", await h.token("1004"), {
      target: "1005",
    });
    expect(noCall.status).toBe(409);
    expect(noCall.body.reason).toBe("no-call");

    const log = await h.request("GET", "/v1/audit?action=listen", admin);
    expect(log.status).toBe(200);
    expect(log.body.entries).toEqual([
      expect.objectContaining({
        actor: "1001",
        action: "listen",
        target: "1002",
        outcome: "refused",
        reason: "operation-disabled",
      }),
      expect.objectContaining({
        actor: "1004",
        action: "listen",
        target: "1005",
        outcome: "refused",
        reason: "no-call",
      }),
    ]);
    const changes = await h.request("GET", "/v1/audit?outcome=changed&target=1006", admin);
    expect(changes.body.entries[0]).toMatchObject({
      actor: "admin",
      action: "user.update",
      detail: { input: { presence: true } },
    });
    const jsonl = await h.request("GET", "/v1/audit?format=jsonl&actor=1001", admin);
    const lines = jsonl.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.every((e) => e.actor === "1001")).toBe(true);
    expect((await h.request("GET", "/v1/audit", alice)).status).toBe(403);
    expect((await h.request("GET", "/v1/audit?limit=0", admin)).status).toBe(400);
  });

  it("validates operation requests: unknown operation, missing field, unknown target", async () => {
    const dave = await h.token("1004");
    expect((await h.request("POST", "/v1/operations/teleport", dave, {})).status).toBe(404);
    const missing = await h.request("POST", "/v1/operations/pickup", dave, {});
    expect(missing.status).toBe(400);
    expect(missing.body.problems).toEqual([{ field: "target", message: "required for pickup" }]);
    const wrongType = await h.request("POST", "/v1/operations/pickup", dave, { target: 1002 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.problems[0].field).toBe("target");
    // An agent cannot tell a user who does not exist from one out of reach (403, as for 1002 in Sales);
    // an administrator, who may act on everyone, is told the user does not exist.
    const nobody = await h.request("POST", "/v1/operations/pickup", dave, { target: "nobody" });
    const outOfReach = await h.request("POST", "/v1/operations/pickup", dave, { target: "1002" });
    expect(nobody.status).toBe(403);
    // The same refusal; the message repeats only the name the viewer typed.
    expect(nobody.body).toEqual({
      ...outOfReach.body,
      message: outOfReach.body.message.replace("1002", "nobody"),
    });
    const admin = await h.token("admin");
    expect((await h.request("POST", "/v1/operations/pickup", admin, { target: "nobody" })).status).toBe(404);
  });
});
