// Issue 14, items 9 and 15, on a whole server (AMI simulator, Redis, the recording routes):
// - a path segment that names an Object.prototype member is no operation (404, not a 500);
// - a JSON body nested thousands deep is a 400 naming the field (not a 500 from a stack overflow);
// - an unexpected error is a 500 whose reply carries the request id, logged with that id and the error;
//   any other 5xx reply is logged with its request id too;
// - every route the server registers is in /openapi.json (and nothing there is not served).

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { parseConfig } from "../../src/config/load.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { tempDir } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

const CONFIG = `
monitoringRoles: [supervisor, admin]
pbx:
  - id: main
    driver: ami
    host: 127.0.0.1
    username: callsight
    secret: change-me
    trunks: [carrier]
departments:
  - { id: sales, name: Sales }
users:
  - { id: "1001", name: Alice Sales, extension: "1001", departments: [sales] }
  - { id: "1002", name: Bob Sales, extension: "1002", departments: [sales], role: supervisor }
  - { id: admin, name: Ada Admin, extension: "1099", departments: [sales], role: admin }
`;

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  url?: string;
  statusCode?: number;
  err?: { message: string; stack?: string };
}

describe("error handling and the OpenAPI document", () => {
  let sim: AmiSimulator;
  let server: RunningServer;
  let tmp: { dir: string; remove(): Promise<void> };
  let redis: Awaited<ReturnType<typeof testRedis>>["redis"];
  let prefix: string;
  const log: LogLine[] = [];
  const tokens = new Map<string, string>();

  async function as(user: string, method: string, path: string, body?: unknown) {
    let token = tokens.get(user);
    if (!token) {
      token = await server.tokens.create(user);
      tokens.set(user, token);
    }
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, type: res.headers.get("content-type") ?? "" };
  }

  beforeAll(async () => {
    tmp = await tempDir("error-handling");
    sim = new AmiSimulator({ commandTimeScale: 0.05 });
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
    const r = await testRedis();
    redis = r.redis;
    prefix = r.prefix;
    const config = parseConfig(CONFIG, "error-handling.yaml", {
      CALLSIGHT_PBX_MAIN_PORT: String(port),
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
    });
    config.recording.directory = join(tmp.dir, "spool");
    config.recording.store = join(tmp.dir, "store");
    await mkdir(config.recording.directory, { recursive: true });
    server = await startServer({
      config,
      redisUrl: r.url,
      prefix,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "info" }, { write: (line: string) => void log.push(JSON.parse(line)) }),
      outboxPath: join(tmp.dir, "outbox.jsonl"),
      recordingGraceMs: 60_000,
    });
    await waitFor(() => server.callsight.drivers[0]?.status().connected, "AMI connected", 10_000);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
    redis?.disconnect();
    await tmp?.remove();
  });

  const serverErrors = () => log.filter((l) => l.level >= 40 && (l.statusCode ?? 0) >= 500);

  it("an Object.prototype member is no operation: 404 naming the known ones, nothing audited", async () => {
    for (const name of [
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "__defineGetter__",
    ]) {
      const r = await as("admin", "POST", `/v1/operations/${name}`, { target: "1001" });
      expect({ name, status: r.status }).toEqual({ name, status: 404 });
      expect(r.body).toEqual({ error: "not-found", message: expect.stringContaining("known: pickup") });
    }
    expect((await as("admin", "GET", "/v1/audit")).body.entries).toEqual([]);
    expect(serverErrors()).toEqual([]);
  });

  it("a JSON body nested 5,000 deep is a 400 naming the field; the directory does not change", async () => {
    const version = (await as("admin", "GET", "/v1/admin/directory")).body.version;
    const deep = (depth: number, leaf: string) => '{"a":'.repeat(depth) + leaf + "}".repeat(depth);
    const patch = await as("admin", "PATCH", "/v1/admin/users/1001", `{"operations":${deep(5000, "true")}}`);
    expect(patch.status).toBe(400);
    expect(patch.body).toMatchObject({ error: "invalid-request", problems: [{ field: "operations" }] });
    expect(patch.body.message).toMatch(/^operations: nested deeper than \d+ levels$/);
    const arrays = await as(
      "admin",
      "POST",
      "/v1/admin/departments",
      `{"id":${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
    );
    expect(arrays.status).toBe(400);
    expect(arrays.body.problems).toEqual([{ field: "id", message: expect.any(String) }]);
    const op = await as(
      "1001",
      "POST",
      "/v1/operations/pickup",
      `{"target":"1002","leg":${deep(6000, "1")}}`,
    );
    expect(op.status).toBe(400);
    expect(op.body.problems).toEqual([{ field: "leg", message: expect.any(String) }]);
    // A body of ordinary depth still goes through.
    expect(
      (await as("admin", "PATCH", "/v1/admin/users/1001", { operations: { listen: false } })).status,
    ).toBe(200);
    expect((await as("admin", "GET", "/v1/admin/directory")).body.version).toBe(version + 1);
    expect(serverErrors()).toEqual([]);
  });

  it("a body that is not JSON, carries __proto__ or is too large is a 4xx naming (body), in the API's shape", async () => {
    const r = await as("1001", "POST", "/v1/operations/pickup", "{target:");
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "invalid-request", problems: [{ field: "(body)" }] });
    // __proto__ in a body, and a body over the limit, are the request's fault too, in the same shape.
    const proto = await as("admin", "PATCH", "/v1/admin/users/1001", '{"__proto__":{"role":"admin"}}');
    expect(proto.status).toBe(400);
    expect(proto.body).toMatchObject({ error: "invalid-request", problems: [{ field: "(body)" }] });
    const big = await as(
      "admin",
      "PATCH",
      "/v1/admin/users/1001",
      JSON.stringify({ name: "x".repeat(300_000) }),
    );
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: "invalid-request", problems: [{ field: "(body)" }] });
    expect(serverErrors()).toEqual([]);
  });

  it("an unexpected error is a 500 with the request id, and the log has it with that id and the error", async () => {
    // The audit log is a Redis Stream; a key of another type makes every append fail (not "unavailable").
    await redis.set(`${prefix}audit`, "not a stream");
    try {
      const r = await as("1001", "POST", "/v1/operations/pickup", { target: "1002" });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({
        error: "internal",
        message: expect.any(String),
        requestId: expect.any(String),
      });
      // The error handler logs before it replies.
      const line = log.find((l) => l.reqId === r.body.requestId && l.level === 50);
      expect(line, JSON.stringify(log.slice(-5))).toMatchObject({
        url: "/v1/operations/pickup",
        statusCode: 500,
        err: { message: expect.stringMatching(/WRONGTYPE/) },
      });
      // The reply says nothing about the cause.
      expect(r.text).not.toMatch(/WRONGTYPE|stream/i);
    } finally {
      await redis.del(`${prefix}audit`);
    }
  });

  it("every route the server registers is in /openapi.json, and every documented path is served", async () => {
    const doc = (await as("1001", "GET", "/openapi.json")).body;
    const documented: [string, string][] = Object.entries(doc.paths as Record<string, object>).flatMap(
      ([path, item]) => Object.keys(item).map((method): [string, string] => [method.toUpperCase(), path]),
    );
    // `/v1/admin/users/:id` is `/v1/admin/users/{id}`; a parameter matches one path segment.
    const pattern = (path: string) =>
      new RegExp(
        `^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/(:[^/]+|\\?\{[^/}]+\\?\})/g, "[^/]+")}$`,
      );
    const matches = (a: string, b: string) => pattern(a).test(b) || pattern(b).test(a);
    const routes = server.api.routes.filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS");
    expect(routes.map((r) => r.url)).toEqual(
      expect.arrayContaining(["/v1/recordings", "/v1/recordings/failed"]),
    );
    const missing: string[] = [];
    for (const { method, url } of routes) {
      if (documented.some(([m, p]) => m === method && matches(url, p))) continue;
      // Not an API: a page or one of its assets (what a browser loads, not what a client calls).
      const page = method === "GET" && !url.includes(":") ? await fetch(`${server.url}${url}`) : undefined;
      if (page && /^text\/(html|css|javascript)/.test(page.headers.get("content-type") ?? "")) continue;
      missing.push(`${method} ${url}`);
    }
    expect(missing, "registered routes missing from /openapi.json").toEqual([]);
    const stale = documented.filter(([m, p]) => !routes.some((r) => r.method === m && matches(r.url, p)));
    expect(stale, "documented but not served").toEqual([]);
  });

  it("documents the recordings routes with their query parameters and replies", async () => {
    const doc = (await as("1001", "GET", "/openapi.json")).body;
    const list = doc.paths["/v1/recordings"].get;
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      "call",
      "department",
      "from",
      "limit",
      "to",
      "user",
    ]);
    expect(list.parameters.find((p: { name: string }) => p.name === "limit").schema).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 1000,
    });
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "503"]));
    expect(list.responses["200"].content["application/json"].schema.properties.recordings.type).toBe("array");
    const failed = doc.paths["/v1/recordings/failed"].get;
    expect(failed.parameters.map((p: { name: string }) => p.name)).toEqual(["limit"]);
    expect(Object.keys(failed.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "403", "503"]),
    );
    expect(failed.responses["200"].content["application/json"].schema.properties.failed.type).toBe("array");
    // What the document says is what the route takes.
    expect((await as("1001", "GET", "/v1/recordings?limit=1001")).status).toBe(400);
    expect((await as("1001", "GET", "/v1/recordings?from=2024-01-01&to=1900000000000&limit=5")).status).toBe(
      200,
    );
  });

  it("/readyz logs its change to 503 once with the request id and the reason, not on every poll", async () => {
    const before = log.length;
    await sim.stop();
    await waitFor(() => !server.callsight.drivers[0]?.status().connected, "AMI disconnected", 10_000);
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    const notReady = (l: { msg?: string }) => String(l.msg).startsWith("not ready: /readyz answers 503");
    const line = await waitFor(() => log.slice(before).find(notReady), "the change logged");
    expect(line.level).toBe(40);
    expect(line.reqId).toEqual(expect.any(String));
    expect(line.msg).toMatch(/pbx \S+: not connected/);
    // A load balancer keeps polling: an answer is logged only when it differs from the one before.
    const answers = [((await res.json()) as { problems: string[] }).problems.join("; ")];
    for (let i = 0; i < 3; i++) {
      const again = await fetch(`${server.url}/readyz`);
      expect(again.status).toBe(503);
      answers.push(((await again.json()) as { problems: string[] }).problems.join("; "));
    }
    const changes = answers.filter((a, i) => i === 0 || a !== answers[i - 1]).length;
    expect(log.slice(before).filter(notReady)).toHaveLength(changes);
    expect(log.slice(before).filter((l) => l.url === "/readyz")).toEqual([]);
  });
});
