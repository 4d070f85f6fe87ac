// What the Docker image runs, run outside Docker: the production install (`npm install --omit=dev`), the
// built output, `callsight serve` and `callsight worker` as the image starts them, the image's
// HEALTHCHECK command, and a clean exit on SIGTERM (what `docker stop` sends).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { freePort } from "../../src/runtime/local-redis.js";
import { redisUrl } from "../support/redis.js";

const run = promisify(execFile);

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("the image's commands on a production install", () => {
  let dir: string;
  let sim: AmiSimulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "callsight-image-"));
    // The build stage: compile; the runtime stage: production dependencies only, plus the built output.
    // The runtime stage takes the product's output only (dist/src): no simulators, no captures, no bench.
    const build = join(dir, "build");
    await run("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", build]);
    await cp(join(build, "src"), join(dir, "dist", "src"), { recursive: true });
    await rm(build, { recursive: true, force: true });
    await run("node", ["web/build.mjs"]);
    for (const f of ["package.json", "package-lock.json", "callsight.example.yaml"])
      await cp(f, join(dir, f));
    await cp("bin", join(dir, "bin"), { recursive: true });
    await cp("web", join(dir, "web"), { recursive: true });
    await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund"], { cwd: dir });
    sim = new AmiSimulator();
    const { port } = await sim.start({ port: 0, username: "callsight", secret: "image-secret" });
    const config = (await readFile("docker/callsight.yaml", "utf8")).replace(
      "host: asterisk",
      "host: 127.0.0.1",
    );
    await mkdir(join(dir, "etc"), { recursive: true });
    await writeFile(join(dir, "etc", "callsight.yaml"), config);
    env = {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      CALLSIGHT_CONFIG: join(dir, "etc", "callsight.yaml"),
      CALLSIGHT_OUTBOX: join(dir, "outbox", "recordings.jsonl"),
      CALLSIGHT_PBX_MAIN_PORT: String(port),
      CALLSIGHT_PBX_MAIN_SECRET: "image-secret",
      REDIS_URL: await redisUrl(),
      CALLSIGHT_REDIS_PREFIX: `callsight:image:${process.pid}:`,
      LOG_LEVEL: "warn",
    };
  }, 240_000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serve: healthy with the PBX connected, passes the HEALTHCHECK command, drains on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn("node", ["bin/callsight.js", "serve"], {
      cwd: dir,
      env: { ...env, CALLSIGHT_LISTEN: `127.0.0.1:${port}` },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    try {
      let health: any;
      for (let i = 0; i < 150; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.json(),
          () => undefined,
        );
        if (health?.pbx?.[0]?.connected) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(health, stderr).toMatchObject({ status: "ok", pbx: [{ pbx: "main", connected: true }] });
      // The board and the admin console, with their built scripts.
      for (const path of ["/", "/board.js", "/admin", "/admin.js"]) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
      }
      // The Dockerfile's HEALTHCHECK, verbatim but for the port.
      await run("node", [
        "-e",
        `fetch('http://127.0.0.1:${port}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
      ]);
      child.kill("SIGTERM");
      expect(await exitOf(child, 15_000)).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("worker: starts on the same image and exits 0 on SIGTERM", async () => {
    // LOG_LEVEL info, so that the worker says when it has started (and installed its SIGTERM handler).
    const child = spawn("node", ["bin/callsight.js", "worker"], {
      cwd: dir,
      env: { ...env, LOG_LEVEL: "info" },
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
      const deadline = Date.now() + 30_000;
      while (!output.includes("recording worker started") && child.exitCode === null) {
        if (Date.now() > deadline) throw new Error(`worker did not report starting within 30 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(child.exitCode, output).toBeNull();
      expect(output).toContain("recording worker started");
      child.kill("SIGTERM");
      expect(await exitOf(child, 30_000)).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("holds no simulator and no captured trace, and says so when asked for the demo", async () => {
    await expect(readFile(join(dir, "dist", "simulators", "demo.js"))).rejects.toThrow(/ENOENT/);
    await expect(
      readFile(join(dir, "test", "fixtures", "asterisk", "01-internal-answered.ami.txt")),
    ).rejects.toThrow(/ENOENT/);
    const child = spawn("node", ["bin/callsight.js", "demo"], {
      cwd: dir,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    expect(await exitOf(child, 20_000)).toBe(2);
    expect(stderr).toContain("this installation has no demo");
  }, 30_000);

  it("refuses to start on a bad configuration with exit code 78 and the reason", async () => {
    const bad = join(dir, "etc", "bad.yaml");
    await writeFile(
      bad,
      (await readFile(env.CALLSIGHT_CONFIG!, "utf8")).replace("driver: ami", "driver: sip"),
    );
    const child = spawn("node", ["bin/callsight.js", "serve"], {
      cwd: dir,
      env: { ...env, CALLSIGHT_CONFIG: bad },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    expect(await exitOf(child, 20_000)).toBe(78);
    expect(stderr).toContain("pbx[0].driver");
  }, 30_000);
});
