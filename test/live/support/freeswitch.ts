// A real FreeSWITCH (../shared/pbx build) in a temporary folder on free loopback ports, configured with
// the live suite's single-file configuration (test/live/freeswitch/freeswitch.xml) and the project's own
// dialplan/freeswitch files, installed the way dialplan/freeswitch/README.md tells operators.

import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { extractPbx } from "./pbx-builds.js";
import { freePort, freeUdpRange, type Spawned, spawnLogged, until } from "./processes.js";

const run = promisify(execFile);
const HERE = new URL("../freeswitch/", import.meta.url).pathname;
const DIALPLAN = new URL("../../../dialplan/freeswitch/", import.meta.url).pathname;

export const PHONES = ["1001", "1002", "1003", "1004", "1005", "1006"] as const;

/**
 * The directory domain of the live site. Deliberately not FreeSWITCH's default domain (the global
 * `domain`, 127.0.0.1 here): Callsight must be told it (`domain` in the pbx entry) to dial `user/<ext>@<domain>`.
 */
export const LIVE_DOMAIN = "live.callsight.test";

export interface FreeSwitchPorts {
  /** The `internal` sofia profile (phones). */
  sip: number;
  /** The `external` sofia profile (the carrier calls in here). */
  external: number;
  esl: number;
  /** Where the carrier's sipp listens (the `carrier` gateway's proxy, and the source of inbound calls). */
  carrier: number;
  phones: Record<string, number>;
  rtpStart: number;
  rtpEnd: number;
}

interface ChannelRow {
  uuid: string;
  name: string;
  application?: string;
  [column: string]: unknown;
}

export class LiveFreeSwitch {
  readonly kind = "freeswitch" as const;
  process?: Spawned;
  readonly esl = { password: "live-esl-secret" };
  readonly domain = LIVE_DOMAIN;

  private constructor(
    /** The extracted build (`bin/`, `lib/`). */
    readonly root: string,
    /** The run's writable folder (`conf/`, `log/`, `rec/`, …). */
    readonly work: string,
    readonly ports: FreeSwitchPorts,
  ) {}

  /** Where record_session and uuid_record write (`$${recordings_dir}`; Callsight's `recording.directory`). */
  get recordingsDir(): string {
    return join(this.work, "rec");
  }

  get logFile(): string {
    return join(this.work, "log", "freeswitch.log");
  }

  static async create(dir: string): Promise<LiveFreeSwitch> {
    const root = join(await extractPbx("freeswitch", dir), "freeswitch");
    const phones: Record<string, number> = {};
    for (const p of PHONES) phones[p] = await freePort();
    const rtpStart = await freeUdpRange(200);
    const ports: FreeSwitchPorts = {
      sip: await freePort(),
      external: await freePort(),
      esl: await freePort(),
      carrier: await freePort(),
      phones,
      rtpStart,
      // An even end port (../shared/pbx/README.md).
      rtpEnd: rtpStart + 198,
    };
    const pbx = new LiveFreeSwitch(root, join(dir, "fs"), ports);
    await pbx.configure();
    return pbx;
  }

  private async configure(): Promise<void> {
    const w = this.work;
    for (const d of ["conf/dialplan", "log", "run", "db", "rec", "storage", "cache", "sounds"])
      await mkdir(join(w, d), { recursive: true });
    const fill = (text: string) =>
      text
        .replaceAll("@DOMAIN@", this.domain)
        .replaceAll("@SIP_PORT@", String(this.ports.sip))
        .replaceAll("@EXT_PORT@", String(this.ports.external))
        .replaceAll("@ESL_PORT@", String(this.ports.esl))
        .replaceAll("@ESL_PASSWORD@", this.esl.password)
        .replaceAll("@CARRIER@", String(this.ports.carrier))
        .replaceAll("@RTP_START@", String(this.ports.rtpStart))
        .replaceAll("@RTP_END@", String(this.ports.rtpEnd))
        .replace(/@PHONE_(\d+)@/g, (_, ext: string) => String(this.ports.phones[ext]));
    const config = fill(await readFile(join(HERE, "freeswitch.xml"), "utf8"));
    const left = /@[A-Z_0-9]+@/.exec(config);
    if (left) throw new Error(`freeswitch.xml: placeholder ${left[0]} not filled in`);
    await writeFile(join(w, "conf", "freeswitch.xml"), config);
    // As the operator does (dialplan/freeswitch/README.md section 2): callsight.xml into conf/dialplan/,
    // which freeswitch.xml includes.
    await copyFile(join(DIALPLAN, "callsight.xml"), join(w, "conf", "dialplan", "callsight.xml"));
  }

  async start(): Promise<void> {
    const r = this.root;
    const w = this.work;
    // The command line of ../shared/pbx/README.md.
    this.process = await spawnLogged(
      "freeswitch",
      join(r, "bin/freeswitch"),
      [
        "-nonat",
        "-nc",
        "-nf",
        "-base",
        r,
        "-conf",
        join(w, "conf"),
        "-log",
        join(w, "log"),
        "-run",
        join(w, "run"),
        "-db",
        join(w, "db"),
        "-mod",
        join(r, "lib/freeswitch/mod"),
        "-recordings",
        join(w, "rec"),
        "-storage",
        join(w, "storage"),
        "-cache",
        join(w, "cache"),
        "-temp",
        join(w, "cache"),
        "-sounds",
        join(w, "sounds"),
      ],
      { dir: join(w, "..") },
    );
    await until(
      async () => {
        if (this.process?.child.exitCode !== null)
          throw new Error(`freeswitch exited: ${(await this.process?.log())?.slice(-2000)}`);
        const out = await this.api("status").catch(() => "");
        return out.includes("is ready");
      },
      "FreeSWITCH answering status over ESL",
      60_000,
      250,
    );
  }

  /** One api command through `fs_cli -x` (a separate ESL session). */
  async api(command: string): Promise<string> {
    const { stdout } = await run(
      join(this.root, "bin/fs_cli"),
      ["-H", "127.0.0.1", "-P", String(this.ports.esl), "-p", this.esl.password, "-x", command],
      { timeout: 20_000 },
    );
    return stdout;
  }

  /** The channels up now (`show channels as json`). */
  async channels(): Promise<ChannelRow[]> {
    const out = await this.api("show channels as json");
    const parsed = JSON.parse(out.trim() || "{}") as { rows?: ChannelRow[] };
    return parsed.rows ?? [];
  }

  /** Hangs up every channel of a phone (`sofia/<profile>/<ext>@…`), as if the phone had hung up. */
  async hangupDevice(ext: string): Promise<void> {
    for (const ch of await this.channels()) {
      if (new RegExp(`^sofia/[^/]+/(sip:)?${ext}(@|$)`).test(ch.name)) await this.api(`uuid_kill ${ch.uuid}`);
    }
  }

  async hangupAll(): Promise<void> {
    await this.api("hupall NORMAL_CLEARING");
    await until(async () => (await this.channels()).length === 0, "no channels left", 15_000);
  }

  /**
   * Kills FreeSWITCH at once (SIGKILL, a crash or a power cut): no hangups are sent, its event socket just
   * closes. Its sqlite databases (registrations, mod_db) stay in the run's folder for the next `start()`.
   */
  async kill(): Promise<void> {
    const proc = this.process;
    if (!proc) return;
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    await proc.exited;
    this.process = undefined;
  }

  async stop(): Promise<void> {
    if (!this.process) return;
    const proc = this.process;
    if (proc.child.exitCode === null) {
      // FreeSWITCH's own shutdown (~5 s); a process that does not end by then is killed.
      await this.api("fsctl shutdown").catch(() => undefined);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        proc.exited,
        new Promise((resolve) => {
          timer = setTimeout(resolve, 15_000);
        }),
      ]);
      clearTimeout(timer);
    }
    await proc.stop(3000);
    this.process = undefined;
  }
}
