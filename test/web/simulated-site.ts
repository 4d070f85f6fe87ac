// A full Callsight server (real Redis, the AMI driver, the example directory) on the AMI simulator, and a
// headless Chromium: what the end-to-end board tests share.

import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { type Browser, chromium } from "playwright-core";
import { AmiSimulator } from "../../simulators/ami-simulator.js";
import { parseConfig } from "../../src/config/load.js";
import { type RunningServer, startServer } from "../../src/runtime/start.js";
import { waitFor } from "../ami/helpers.js";
import { tempDir } from "../recording/helpers.js";
import { testRedis } from "../support/redis.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface SimulatedSite {
  sim: AmiSimulator;
  server: RunningServer;
  browser: Browser;
  stop(): Promise<void>;
}

/** `configText`: the directory to run on (default: the example file). */
export async function startSimulatedSite(
  name: string,
  configText = readFileSync("callsight.example.yaml", "utf8"),
): Promise<SimulatedSite> {
  const tmp = await tempDir(name);
  const sim = new AmiSimulator({ commandTimeScale: 0.05 });
  const { port } = await sim.start({ port: 0, username: "callsight", secret: "s3cret" });
  const { url, prefix, redis } = await testRedis();
  redis.disconnect();
  const config = parseConfig(configText, "callsight.example.yaml", {
    CALLSIGHT_PBX_MAIN_PORT: String(port),
    CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
    CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
  });
  config.recording.directory = join(tmp.dir, "spool");
  config.recording.store = join(tmp.dir, "store");
  await mkdir(config.recording.directory, { recursive: true });
  const server = await startServer({
    config,
    redisUrl: url,
    prefix,
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    outboxPath: join(tmp.dir, "outbox.jsonl"),
    recordingGraceMs: 60_000,
  });
  await waitFor(() => server.callsight.drivers[0]?.status().connected, "AMI connected", 10_000);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    sim,
    server,
    browser,
    async stop() {
      await browser.close();
      await server.stop();
      await sim.stop();
      await tmp.remove();
    },
  };
}
