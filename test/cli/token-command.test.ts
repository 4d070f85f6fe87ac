// `callsight token issue|list|revoke` against a real Redis, next to a running server on the same prefix:
// expiry, a list that never shows a secret, audit entries, and a revoke that closes the token's stream.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { type Harness, StreamClient, startHarness } from "../api/harness.js";
import { redisUrl } from "../support/redis.js";

function capture() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l: string) => stdout.push(l), err: (l: string) => stderr.push(l) };
}

describe("callsight token", () => {
  let h: Harness;
  let url: string;
  const saved = process.env.CALLSIGHT_REDIS_PREFIX;

  beforeAll(async () => {
    h = await startHarness();
    url = await redisUrl();
    process.env.CALLSIGHT_REDIS_PREFIX = h.prefix;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.CALLSIGHT_REDIS_PREFIX;
    else process.env.CALLSIGHT_REDIS_PREFIX = saved;
    await h.close();
  });

  const run = async (...args: string[]) => {
    const io = capture();
    const code = await main(["token", ...args, "--config", "callsight.example.yaml", "--redis", url], io);
    return { code, ...io };
  };

  it("issues a token with an expiry; list shows it without the secret; both audited", async () => {
    const issued = await run("issue", "1001", "--label", "desk", "--expires", "8h");
    expect(issued.code).toBe(0);
    const token = issued.stdout[0]!;
    expect(token).toMatch(/^cs_/);
    expect((await h.request("GET", "/v1/me", token)).body.id).toBe("1001");

    const listed = await run("list", "--user", "1001", "--json");
    expect(listed.code).toBe(0);
    const [entry] = JSON.parse(listed.stdout[0]!).tokens;
    expect(entry).toMatchObject({ user: "1001", label: "desk", id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(entry.expiresAt - entry.createdAt).toBe(8 * 3_600_000);
    const table = await run("list");
    expect(table.stdout[0]).toMatch(/^ID\s+USER\s+CREATED\s+EXPIRES\s+LAST USED\s+LABEL$/);
    expect(table.stdout.some((l) => l.startsWith(entry.id) && l.includes("desk"))).toBe(true);
    expect([...listed.stdout, ...table.stdout].join("\n")).not.toContain(token);

    const audit = await h.request("GET", "/v1/audit?action=token.issue&target=1001", await h.token("admin"));
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        actor: expect.stringMatching(/^cli/),
        outcome: "changed",
        detail: { id: entry.id, label: "desk", expiresAt: entry.expiresAt },
      }),
    ]);
  });

  it("revoke <id> ends the token and closes its open stream on the running server", async () => {
    const token = (await run("issue", "1002")).stdout[0]!;
    const id = JSON.parse((await run("list", "--user", "1002", "--json")).stdout[0]!).tokens[0].id;
    const stream = new StreamClient(`${h.base.replace("http", "ws")}/v1/stream?access_token=${token}`);
    await stream.next((m) => m.type === "snapshot");
    const ended = new Promise<[number, string]>((resolve) =>
      stream.socket.once("close", (code, reason) => resolve([code, String(reason)])),
    );
    const revoked = await run("revoke", id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toEqual([`revoked ${id} (1002)`]);
    expect(await ended).toEqual([4401, "token revoked"]);
    expect((await h.request("GET", "/v1/me", token)).status).toBe(401);
    const audit = await h.request("GET", "/v1/audit?action=token.revoke&target=1002", await h.token("admin"));
    expect(audit.body.entries).toEqual([expect.objectContaining({ detail: { id } })]);
    expect((await run("revoke", id)).code).toBe(64);
  });

  it("revoke --user ends every token of a user; create is still issue", async () => {
    const one = (await run("create", "1005")).stdout[0]!;
    const two = (await run("issue", "1005")).stdout[0]!;
    expect((await run("revoke", "--user", "1005")).stdout).toEqual(["revoked 2 token(s) of 1005"]);
    for (const t of [one, two]) expect((await h.request("GET", "/v1/me", t)).status).toBe(401);
  });

  it("refuses a bad duration, an unknown user, and revoke without an id", async () => {
    const bad = await run("issue", "1001", "--expires", "tomorrow");
    expect(bad.code).toBe(64);
    expect(bad.stderr.join("\n")).toContain(
      '--expires: expected a duration such as 90s, 30m, 8h, 7d or 2w, got "tomorrow"',
    );
    expect((await run("issue", "nobody")).code).toBe(64);
    expect((await run("revoke")).code).toBe(64);
  });
});
