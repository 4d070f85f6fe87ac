// `callsight serve` (the built CLI, as bin/callsight.js runs it) on an address another process already
// listens on: it says so, naming the address, and exits non-zero at once — without having connected to the
// PBX or taken its lease first (it listens before anything else).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl } from "../support/redis.js";

const run = promisify(execFile);

function exitOf(child: ChildProcess, ms: number): Promise<number | string | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => {
    const timer = setTimeout(() => done("still running"), ms);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      done(code ?? signal);
    });
  });
}

function listening(server: Server): Promise<number> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      done(typeof address === "object" && address ? address.port : 0);
    });
  });
}

describe("callsight serve on an address in use", () => {
  let dir: string;
  let taken: Server;
  let takenPort: number;
  let pbx: Server;
  let pbxPort: number;
  const pbxConnections: Socket[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "callsight-listen-"));
    // The built CLI: bin/callsight.js runs dist/src/cli/main.js, as after `npm run build`.
    await run("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(dir, "dist")]);
    await cp("bin", join(dir, "bin"), { recursive: true });
    await cp("package.json", join(dir, "package.json"));
    await symlink(resolve("node_modules"), join(dir, "node_modules"), "dir");
    await symlink(resolve("web"), join(dir, "web"), "dir");
    taken = createServer((s) => s.destroy());
    takenPort = await listening(taken);
    // The PBX: a listener that records every connection made to it.
    pbx = createServer((s) => {
      pbxConnections.push(s);
    });
    pbxPort = await listening(pbx);
  }, 240_000);

  afterAll(async () => {
    for (const s of pbxConnections) s.destroy();
    await new Promise((r) => taken?.close(r));
    await new Promise((r) => pbx?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `node bin/callsight.js serve` on `listen` and `redisUrl`; its exit (or "still running" after 10 s) and output. */
  async function serve(listen: string, redisUrl: string, prefix: string) {
    const child = spawn(process.execPath, [join(dir, "bin", "callsight.js"), "serve"], {
      env: {
        PATH: process.env.PATH,
        CALLSIGHT_CONFIG: resolve("callsight.example.yaml"),
        CALLSIGHT_LISTEN: listen,
        REDIS_URL: redisUrl,
        CALLSIGHT_REDIS_PREFIX: prefix,
        CALLSIGHT_OUTBOX: join(dir, "outbox.jsonl"),
        CALLSIGHT_PBX_MAIN_PORT: String(pbxPort),
        CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
        CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d) => {
      output += String(d);
    });
    child.stderr?.on("data", (d) => {
      output += String(d);
    });
    try {
      const code = await exitOf(child, 10_000);
      return { code, output };
    } finally {
      child.kill("SIGKILL");
    }
  }

  it("exits non-zero promptly, naming the address, without touching the PBX or Redis", async () => {
    const url = await redisUrl();
    const prefix = `callsight:listen:${process.pid}:`;
    const { code, output } = await serve(`127.0.0.1:${takenPort}`, url, prefix);
    expect(code, output).not.toBe("still running");
    // 69 (EX_UNAVAILABLE), as for a Redis it cannot reach.
    expect(code, output).toBe(69);
    expect(output).toContain(`cannot listen on 127.0.0.1:${takenPort}`);
    expect(output).toContain("already in use");
    // It listened before anything else: no PBX connection, no lease, nothing written to Redis.
    expect(pbxConnections).toHaveLength(0);
    const redis = new Redis(url);
    try {
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 30_000);

  it("Redis unreachable once it listens: exits 69 promptly, its address let go", async () => {
    const nothing = createServer();
    const closedPort = await listening(nothing);
    await new Promise((r) => nothing.close(r));
    const free = createServer();
    const port = await listening(free);
    await new Promise((r) => free.close(r));
    const { code, output } = await serve(
      `127.0.0.1:${port}`,
      `redis://127.0.0.1:${closedPort}`,
      "callsight:listen:",
    );
    expect(code, output).toBe(69);
    expect(output).toContain(`cannot reach Redis at redis://127.0.0.1:${closedPort}`);
    expect(pbxConnections).toHaveLength(0);
  }, 30_000);
});
