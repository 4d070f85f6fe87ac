// Tokens and authentication over real sockets: the query token only on the stream's WebSocket upgrade,
// no URL echoed in error bodies, the failed-authentication limit (per address, in Redis, across two
// instances) with its log lines, expiry, listing and revoking with audit entries, and open streams closed
// when their token is revoked or expires or their user is deleted.

import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { type Harness, StreamClient, startHarness } from "./harness.js";

/** A logger whose JSON lines the test reads. */
function capturedLogger() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

/** Opens a stream; resolves with its first message, or the HTTP status that refused the upgrade. */
function openStream(url: string): Promise<{ socket: WebSocket; first?: any; status?: number }> {
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.once("message", (d) => resolve({ socket, first: JSON.parse(String(d)) }));
    socket.once("unexpected-response", (_req, res) => {
      resolve({ socket, status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once("error", (err) => reject(err));
  });
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve({ code: -1, reason: "already closed" });
    socket.once("close", (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

const ws = (h: Harness) => h.base.replace("http", "ws");

describe("the token goes in the Authorization header; only the stream's upgrade takes ?access_token=", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("a query token is refused on every HTTP route, even a valid admin's", async () => {
    const admin = await h.token("admin");
    const me = await h.request("GET", `/v1/me?access_token=${admin}`);
    expect(me.status).toBe(401);
    expect(me.body.message).toContain("Authorization header");
    const mint = await fetch(`${h.base}/v1/admin/tokens?access_token=${admin}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "1001" }),
    });
    expect(mint.status).toBe(401);
    expect((await h.request("GET", `/v1/audit?access_token=${admin}`)).status).toBe(401);
    // A plain (not upgraded) GET of the stream path is no exception.
    expect((await h.request("GET", `/v1/stream?access_token=${admin}`)).status).toBe(401);
    // The header works, and the other routes no longer list access_token among their parameters.
    expect((await h.request("GET", "/v1/me", admin)).body.id).toBe("admin");
    const stray = await h.request("GET", `/v1/audit?access_token=${admin}`, admin);
    expect(stray.status).toBe(400);
    const doc = (await h.request("GET", "/openapi.json")).body;
    const withQueryToken = Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) =>
      Object.values(methods).some((op: any) => op.parameters?.some((p: any) => p.name === "access_token"))
        ? [path]
        : [],
    );
    expect(withQueryToken).toEqual(["/v1/stream"]);
  });

  it("the stream's WebSocket upgrade takes it", async () => {
    const { socket, first } = await openStream(`${ws(h)}/v1/stream?access_token=${await h.token("1001")}`);
    expect(first).toMatchObject({ type: "snapshot", view: { viewer: "1001" } });
    socket.close();
  });

  it("404 and error bodies do not repeat the query", async () => {
    const secret = "cs_thisMustNotComeBack";
    for (const path of [`/nope?access_token=${secret}`, `/v1/nope?access_token=${secret}&x=1`]) {
      const r = await h.request("GET", path);
      expect(r.status).toBe(404);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain("access_token");
    }
  });
});

describe("failed authentications: counted per address in Redis, 429 past the limit", () => {
  // The defaults (callsight.example.yaml says the same): 20 failures a minute.
  const LIMIT = 20;
  let a: Harness;
  let b: Harness;
  const log = capturedLogger();

  beforeAll(async () => {
    a = await startHarness({ logger: log.logger });
    // A second instance on the same Redis and prefix.
    b = await startHarness({ prefix: a.prefix });
    expect(a.callsight.config.auth).toMatchObject({ failureLimit: LIMIT, failureWindowSeconds: 60 });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("successful requests are not counted", async () => {
    const alice = await a.token("1001");
    for (let i = 0; i < LIMIT * 4; i++) {
      expect((await (i % 2 ? a : b).request("GET", "/v1/me", alice)).status).toBe(200);
    }
  });

  it("the same limit holds across two instances: the request after the limit gets 429 with Retry-After", async () => {
    let failedBefore429 = 0;
    let first429: Response | undefined;
    for (let i = 0; i < 50 && !first429; i++) {
      const res = await fetch(`${(i % 2 ? b : a).base}/v1/board`, {
        headers: { authorization: `Bearer cs_guess${i}` },
      });
      if (res.status === 429) first429 = res;
      else {
        expect(res.status).toBe(401);
        failedBefore429++;
      }
    }
    console.log(
      `failed authentications before the first 429 (two instances, limit ${LIMIT}): ${failedBefore429}`,
    );
    expect(failedBefore429).toBe(LIMIT);
    expect(first429).toBeDefined();
    const retryAfter = Number(first429!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await first429!.json()).toMatchObject({ error: "too-many-requests" });
    // While blocked, even a valid token gets 429 (else the answer would tell a right guess from a wrong
    // one), on both instances, and so does the stream's upgrade.
    const alice = await a.token("1001");
    expect((await a.request("GET", "/v1/me", alice)).status).toBe(429);
    expect((await b.request("GET", "/v1/me", alice)).status).toBe(429);
    expect((await openStream(`${ws(b)}/v1/stream?access_token=${alice}`)).status).toBe(429);
  });

  it("logs failures at warn without the token, one line per address per interval", () => {
    const failures = log.lines.filter((l) => l.msg === "authentication failed");
    // Instance a saw half of the failures, within a few ms: one line for them.
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 40,
      address: "127.0.0.1",
      reason: "unknown-token",
      path: "/v1/board",
    });
    const text = JSON.stringify(log.lines);
    expect(text).not.toMatch(/cs_guess/);
  });
});

describe("behind a trusted reverse proxy, each client is counted by its X-Forwarded-For address", () => {
  let h: Harness;
  beforeAll(async () => {
    const config = readFileSync("callsight.example.yaml", "utf8")
      .replace("failureLimit: 20", "failureLimit: 2")
      .replace("# trustedProxies: [127.0.0.1]", "trustedProxies: [127.0.0.1]");
    h = await startHarness({ config });
  });
  afterAll(async () => {
    await h.close();
  });

  it("one client past the limit does not block the others behind the same proxy", async () => {
    const as = (client: string) =>
      fetch(`${h.base}/v1/me`, {
        headers: { authorization: "Bearer cs_guess", "x-forwarded-for": client },
      }).then((r) => r.status);
    expect([await as("203.0.113.1"), await as("203.0.113.1"), await as("203.0.113.1")]).toEqual([
      401, 401, 429,
    ]);
    expect(await as("203.0.113.2")).toBe(401);
  });
});

describe("the failure window ends", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ auth: { failureLimit: 2, failureWindowSeconds: 1 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("after the window a valid token works again", async () => {
    const alice = await h.token("1001");
    for (const guess of ["cs_a", "cs_b"]) expect((await h.request("GET", "/v1/me", guess)).status).toBe(401);
    expect((await h.request("GET", "/v1/me", alice)).status).toBe(429);
    await vi.waitFor(async () => expect((await h.request("GET", "/v1/me", alice)).status).toBe(200), {
      timeout: 5000,
      interval: 100,
    });
  });
});

describe("expiry, listing, revoking, audit", () => {
  let clock = Date.parse("2026-03-01T09:00:00Z");
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
    admin = await h.token("admin");
  });
  afterAll(async () => {
    await h.close();
  });

  it("a token issued with an expiry stops working when it expires", async () => {
    const issued = await h.request("POST", "/v1/admin/tokens", admin, { user: "1002", expires: "8h" });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      user: "1002",
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      expiresAt: clock + 8 * 3_600_000,
    });
    expect((await h.request("GET", "/v1/me", issued.body.token)).status).toBe(200);
    clock += 8 * 3_600_000 - 1;
    expect((await h.request("GET", "/v1/me", issued.body.token)).status).toBe(200);
    clock += 1;
    expect((await h.request("GET", "/v1/me", issued.body.token)).status).toBe(401);
    const bad = await h.request("POST", "/v1/admin/tokens", admin, { user: "1002", expires: "soon" });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].field).toBe("expires");
  });

  it("lists tokens without their secrets; revokes one by id; both audited", async () => {
    const issued = await h.request("POST", "/v1/admin/tokens", admin, { user: "1005", label: "wallboard" });
    const { token, id } = issued.body;
    expect((await h.request("GET", "/v1/me", token)).status).toBe(200);
    const list = await h.request("GET", "/v1/admin/tokens?user=1005", admin);
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([
      { id, user: "1005", label: "wallboard", createdAt: clock, lastUsedAt: clock },
    ]);
    const all = await h.request("GET", "/v1/admin/tokens", admin);
    expect(all.text).not.toContain(token);
    const stored = await h.redis.hgetall(`${h.prefix}tokens`);
    for (const hash of Object.keys(stored)) expect(all.text).not.toContain(hash);
    // The expired token of the test before is no longer listed.
    expect(all.body.tokens.map((t: any) => t.user).sort()).toEqual(["1005", "admin"]);
    expect((await h.request("GET", "/v1/admin/tokens", await h.token("1001"))).status).toBe(403);

    expect((await h.request("DELETE", `/v1/admin/tokens/${id}`, admin)).status).toBe(204);
    expect((await h.request("GET", "/v1/me", token)).status).toBe(401);
    expect((await h.request("DELETE", `/v1/admin/tokens/${id}`, admin)).status).toBe(404);

    const audit = (await h.request("GET", "/v1/audit?target=1005", admin)).body.entries;
    expect(audit).toEqual([
      expect.objectContaining({
        actor: "admin",
        action: "token.issue",
        target: "1005",
        outcome: "changed",
        detail: { id, label: "wallboard" },
      }),
      expect.objectContaining({
        actor: "admin",
        action: "token.revoke",
        target: "1005",
        detail: { id, label: "wallboard" },
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });
});

describe("open streams end when their token is revoked or expires, or their user is deleted", () => {
  let a: Harness;
  let b: Harness;
  let admin: string;
  beforeAll(async () => {
    a = await startHarness();
    b = await startHarness({ prefix: a.prefix });
    admin = await a.token("admin");
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("revoking a token on one instance closes its stream on the other (4401), not the user's other streams", async () => {
    const first = await a.request("POST", "/v1/admin/tokens", admin, { user: "1001" });
    const second = await a.request("POST", "/v1/admin/tokens", admin, { user: "1001" });
    const revoked = new StreamClient(`${ws(b)}/v1/stream?access_token=${first.body.token}`);
    const kept = new StreamClient(`${ws(b)}/v1/stream?access_token=${second.body.token}`);
    await revoked.next((m) => m.type === "snapshot");
    await kept.next((m) => m.type === "snapshot");
    const end = closed(revoked.socket);
    expect((await a.request("DELETE", `/v1/admin/tokens/${first.body.id}`, admin)).status).toBe(204);
    expect(await end).toEqual({ code: 4401, reason: "token revoked" });
    expect(kept.socket.readyState).toBe(WebSocket.OPEN);
    await kept.close();
  });

  it("deleting a user closes their streams on every instance (4401 user deleted)", async () => {
    const created = await a.request("POST", "/v1/admin/users", admin, {
      id: "1020",
      name: "Temp Agent",
      extension: "1020",
      departments: ["sales"],
    });
    expect(created.status).toBe(201);
    const token = (await a.request("POST", "/v1/admin/tokens", admin, { user: "1020" })).body.token;
    const onA = new StreamClient(`${ws(a)}/v1/stream?access_token=${token}`);
    await vi.waitFor(() => expect(b.callsight.directory.users.has("1020")).toBe(true), { timeout: 3000 });
    const onB = new StreamClient(`${ws(b)}/v1/stream?access_token=${token}`);
    await onA.next((m) => m.type === "snapshot");
    await onB.next((m) => m.type === "snapshot");
    const ends = [closed(onA.socket), closed(onB.socket)];
    expect((await a.request("DELETE", "/v1/admin/users/1020", admin)).status).toBe(204);
    expect(await Promise.all(ends)).toEqual([
      { code: 4401, reason: "user deleted" },
      { code: 4401, reason: "user deleted" },
    ]);
    const audit = (await a.request("GET", "/v1/audit?target=1020&action=token.revoke", admin)).body.entries;
    expect(audit).toEqual([expect.objectContaining({ actor: "admin", reason: "user deleted" })]);
  });

  it("a stream ends when its token expires (4401 token expired)", async () => {
    const token = await a.tokens.create("1001", { expiresAt: Date.now() + 1500 });
    const stream = new StreamClient(`${ws(a)}/v1/stream?access_token=${token}`);
    await stream.next((m) => m.type === "snapshot");
    expect(await closed(stream.socket)).toEqual({ code: 4401, reason: "token expired" });
  });
});
