// One live FreeSWITCH site for a test file: a real FreeSWITCH, a private Redis, Callsight's server and
// worker (built CLI) connected to it over ESL, and sipp phones 1001–1006 and a carrier. `teardown` stops
// everything in reverse order, also after a failure.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRedis, startLocalRedis } from "../../../src/runtime/local-redis.js";
import { NAMES } from "./asterisk-site.js";
import { LiveCallsight, type LiveUser } from "./callsight.js";
import { LiveFreeSwitch, PHONES } from "./freeswitch.js";
import { stopAll } from "./processes.js";
import { SippEndpoint } from "./sipp.js";
import { TcpProxy } from "./tcp-proxy.js";

export interface FreeSwitchSite {
  dir: string;
  pbx: LiveFreeSwitch;
  redis: LocalRedis;
  callsight: LiveCallsight;
  phones: Record<string, SippEndpoint>;
  /** The carrier: calls in from its port to the `external` profile, answers the `carrier` gateway. */
  carrier: SippEndpoint;
  /** With `eslProxy`: the TCP proxy Callsight reaches the event socket through (a test cuts it). */
  eslProxy?: TcpProxy;
  /** Stops the site's redis-server (its data is kept with `persistentRedis`). */
  stopRedis(): Promise<void>;
  /** Starts it again on the same port. */
  startRedis(): Promise<void>;
  teardown(): Promise<void>;
}

export interface FreeSwitchSiteOptions {
  users?: LiveUser[];
  /** Extra keys of the pbx entry in callsight.yaml. */
  pbx?: Record<string, unknown>;
  /** Callsight connects to the event socket through a TcpProxy the test can cut (fs_cli still goes direct). */
  eslProxy?: boolean;
  /** Redis keeps its data across `stopRedis` / `startRedis` (an append-only file in the run's folder). */
  persistentRedis?: boolean;
}

export async function startFreeSwitchSite(options: FreeSwitchSiteOptions = {}): Promise<FreeSwitchSite> {
  const dir = await mkdtemp(join(tmpdir(), "callsight-live-esl-"));
  const pbx = await LiveFreeSwitch.create(dir);
  const redisOptions = options.persistentRedis ? { dataDir: join(dir, "redis") } : {};
  let redis: LocalRedis | undefined;
  let redisPort: number | undefined;
  let callsight: LiveCallsight | undefined;
  let eslProxy: TcpProxy | undefined;
  const teardown = async () => {
    await callsight?.stop().catch(() => undefined);
    await eslProxy?.stop().catch(() => undefined);
    await pbx.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    await stopAll();
    if (!process.env.CALLSIGHT_LIVE_KEEP) await rm(dir, { recursive: true, force: true });
  };
  try {
    await pbx.start();
    redis = await startLocalRedis(undefined, redisOptions);
    redisPort = redis.port;
    if (options.eslProxy) eslProxy = await TcpProxy.start(pbx.ports.esl);
    callsight = await LiveCallsight.create({
      dir,
      redisUrl: redis.url,
      // As dialplan/freeswitch/README.md tells operators.
      pbx: {
        id: "main",
        driver: "esl",
        host: "127.0.0.1",
        port: eslProxy?.port ?? pbx.ports.esl,
        secret: pbx.esl.password,
        ivr: { context: "callsight", exten: "callsight_ivr" },
        domain: pbx.domain,
        ...options.pbx,
      },
      recordingDirectory: pbx.recordingsDir,
      ...(options.users ? { users: options.users } : {}),
      salesQueues: ["sales@default"],
    });
    await callsight.start();
    const phones: Record<string, SippEndpoint> = {};
    for (const p of PHONES)
      phones[p] = new SippEndpoint(p, NAMES[p] ?? p, pbx.ports.phones[p] ?? 0, dir, () => pbx.ports.sip);
    // Phones register (FreeSWITCH accepts them blindly; their contacts stay the directory's dial-strings):
    // a phone FreeSWITCH holds no registration for has no reachability it could report.
    const registered = await Promise.all(PHONES.map(async (p) => (await phones[p]!.register(3600)).done));
    if (registered.some((code) => code !== 0))
      throw new Error(`phones did not register: ${JSON.stringify(registered)}`);
    const carrier = new SippEndpoint(
      "15551234567",
      "Carrier Caller",
      pbx.ports.carrier,
      dir,
      () => pbx.ports.external,
    );
    const site: FreeSwitchSite = {
      dir,
      pbx,
      redis,
      callsight,
      phones,
      carrier,
      ...(eslProxy ? { eslProxy } : {}),
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
