// One live Asterisk site for a test file: a real Asterisk, a private Redis, Callsight's server and
// worker (built CLI) connected to it over AMI or ARI (+ AMI companion), and sipp phones 1001–1006 and a
// carrier. `teardown` stops everything in reverse order, also after a failure.
// Fault scenarios ask for more (AsteriskSiteOptions): a Redis that keeps its data when it is stopped and
// started again (`stopRedis` / `startRedis`), and a TCP proxy on Callsight's PBX link (`linkProxy`: AMI, or ARI's HTTP and WebSocket).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRedis, startLocalRedis } from "../../../src/runtime/local-redis.js";
import { LiveAsterisk, PHONES } from "./asterisk.js";
import { LiveCallsight, type LiveUser } from "./callsight.js";
import { stopAll } from "./processes.js";
import { SippEndpoint } from "./sipp.js";
import { TcpProxy } from "./tcp-proxy.js";

export const NAMES: Record<string, string> = {
  "1001": "Alice Sales",
  "1002": "Bob Sales",
  "1003": "Carol Sales",
  "1004": "Dave Support",
  "1005": "Erin Support",
  "1006": "Frank Support",
};

export interface AsteriskSite {
  dir: string;
  pbx: LiveAsterisk;
  redis: LocalRedis;
  callsight: LiveCallsight;
  phones: Record<string, SippEndpoint>;
  carrier: SippEndpoint;
  /**
   * Only with `linkProxy`: the proxy Callsight's own PBX link goes through — AMI, or ARI's HTTP and WebSocket
   * (the ARI driver's AMI companion stays direct). Cut it to drop the link.
   */
  linkProxy?: TcpProxy;
  /** Stops the site's redis-server (its data is kept with `persistentRedis`). */
  stopRedis(): Promise<void>;
  /** Starts it again on the same port. */
  startRedis(): Promise<void>;
  teardown(): Promise<void>;
}

export interface AsteriskSiteOptions {
  /** Redis keeps its data across `stopRedis` / `startRedis` (an append-only file in the run's folder). */
  persistentRedis?: boolean;
  /** Callsight reaches AMI through a TCP proxy the test can cut (AMI driver only). */
  linkProxy?: boolean;
}

export async function startAsteriskSite(
  driver: "ami" | "ari",
  users?: LiveUser[],
  options: AsteriskSiteOptions = {},
): Promise<AsteriskSite> {
  const dir = await mkdtemp(join(tmpdir(), `callsight-live-${driver}-`));
  const pbx = await LiveAsterisk.create(dir);
  const redisOptions = options.persistentRedis ? { dataDir: join(dir, "redis") } : {};
  let redis: LocalRedis | undefined;
  let redisPort: number | undefined;
  let linkProxy: TcpProxy | undefined;
  let callsight: LiveCallsight | undefined;
  const teardown = async () => {
    await callsight?.stop().catch(() => undefined);
    await linkProxy?.stop().catch(() => undefined);
    await pbx.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    await stopAll();
    if (!process.env.CALLSIGHT_LIVE_KEEP) await rm(dir, { recursive: true, force: true });
  };
  try {
    await pbx.start();
    redis = await startLocalRedis(undefined, redisOptions);
    redisPort = redis.port;
    if (options.linkProxy)
      linkProxy = await TcpProxy.start(driver === "ami" ? pbx.ports.ami : pbx.ports.http);
    const pbxConfig =
      driver === "ami"
        ? {
            id: "main",
            driver: "ami",
            host: "127.0.0.1",
            port: linkProxy?.port ?? pbx.ports.ami,
            username: pbx.ami.username,
            secret: pbx.ami.secret,
            trunks: ["carrier"],
            ivr: { context: "ivr", exten: "s" },
            // The live dialplan's phones dial in [internal] (test/live/asterisk/extensions.conf).
            dialContext: "internal",
            // FreePBX's queue members, with the live dialplan's hints (in [internal]).
            queueMember: {
              interface: "Local/{extension}@from-queue/n",
              stateInterface: "hint:{extension}@internal",
            },
          }
        : {
            id: "main",
            driver: "ari",
            host: "127.0.0.1",
            port: linkProxy?.port ?? pbx.ports.http,
            username: pbx.ari.username,
            secret: pbx.ari.secret,
            trunks: ["carrier"],
            ivr: { context: "ivr", exten: "s" },
            // The live dialplan's phones dial in [internal] (test/live/asterisk/extensions.conf).
            dialContext: "internal",
            // FreePBX's queue members, with the live dialplan's hints (in [internal]).
            queueMember: {
              interface: "Local/{extension}@from-queue/n",
              stateInterface: "hint:{extension}@internal",
            },
            companion: { port: pbx.ports.ami, username: pbx.ami.username, secret: pbx.ami.secret },
          };
    callsight = await LiveCallsight.create({
      dir,
      redisUrl: redis.url,
      pbx: pbxConfig,
      recordingDirectory: pbx.monitorDir,
      salesQueues: ["400"],
      ...(users ? { users } : {}),
    });
    await callsight.start();
    const phones: Record<string, SippEndpoint> = {};
    for (const p of PHONES)
      phones[p] = new SippEndpoint(p, NAMES[p] ?? p, pbx.ports.phones[p] ?? 0, dir, () => pbx.ports.sip);
    const carrier = new SippEndpoint(
      "15551234567",
      "Carrier Caller",
      pbx.ports.carrier,
      dir,
      () => pbx.ports.sip,
    );
    const site: AsteriskSite = {
      dir,
      pbx,
      redis,
      callsight,
      phones,
      carrier,
      ...(linkProxy ? { linkProxy } : {}),
      async stopRedis() {
        await redis?.stop();
      },
      async startRedis() {
        redis = await startLocalRedis(redisPort, redisOptions);
        site.redis = redis;
      },
      teardown,
    };
    return site;
  } catch (err) {
    await teardown();
    throw err;
  }
}
