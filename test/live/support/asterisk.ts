// A real Asterisk (../shared/pbx build) in a temporary folder on free loopback ports, configured with
// the live suite's files (test/live/asterisk/) and the project's own dialplan/asterisk files, installed
// the way dialplan/asterisk/README.md tells operators.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { extractPbx } from "./pbx-builds.js";
import { freePort, freeUdpRange, type Spawned, spawnLogged, until } from "./processes.js";

const run = promisify(execFile);
const HERE = new URL("../asterisk/", import.meta.url).pathname;
const DIALPLAN = new URL("../../../dialplan/asterisk/", import.meta.url).pathname;

export const PHONES = ["1001", "1002", "1003", "1004", "1005", "1006"] as const;

export interface AsteriskPorts {
  sip: number;
  ami: number;
  http: number;
  carrier: number;
  phones: Record<string, number>;
}

export class LiveAsterisk {
  readonly kind = "asterisk" as const;
  process?: Spawned;
  private constructor(
    readonly root: string,
    readonly ports: AsteriskPorts,
    readonly ami = { username: "callsight", secret: "live-ami-secret" },
    readonly ari = { username: "callsight", secret: "live-ari-secret" },
  ) {}

  /** Where MixMonitor writes (Callsight's `recording.directory`). */
  get monitorDir(): string {
    return join(this.root, "var/spool/asterisk/monitor");
  }

  static async create(dir: string): Promise<LiveAsterisk> {
    const root = join(await extractPbx("asterisk", dir), "asterisk");
    const phones: Record<string, number> = {};
    for (const p of PHONES) phones[p] = await freePort();
    const ports = {
      sip: await freePort(),
      ami: await freePort(),
      http: await freePort(),
      carrier: await freePort(),
      phones,
    };
    const pbx = new LiveAsterisk(root, ports);
    await pbx.configure();
    return pbx;
  }

  private async configure(): Promise<void> {
    const r = this.root;
    for (const d of [
      "etc/asterisk",
      "var/run/asterisk",
      "var/log/asterisk",
      "var/spool/asterisk/monitor",
      "var/cache/asterisk",
    ]) {
      await mkdir(join(r, d), { recursive: true });
    }
    const etc = join(r, "etc/asterisk");
    const rtp = await freeUdpRange(200);
    const fill = (text: string) =>
      text
        .replaceAll("@SIP_PORT@", String(this.ports.sip))
        .replaceAll("@AMI_PORT@", String(this.ports.ami))
        .replaceAll("@HTTP_PORT@", String(this.ports.http))
        .replaceAll("@CARRIER@", String(this.ports.carrier))
        .replaceAll("@RTP_START@", String(rtp))
        .replaceAll("@RTP_END@", String(rtp + 199))
        .replace(/@PHONE_(\d+)@/g, (_, ext: string) => String(this.ports.phones[ext]));
    await writeFile(
      join(etc, "extensions.conf"),
      fill(await readFile(join(HERE, "extensions.conf"), "utf8")),
    );
    await writeFile(join(etc, "pjsip.conf"), fill(await readFile(join(HERE, "pjsip.conf"), "utf8")));
    // rest.conf holds the small files, each after a ";;; <name>" line.
    const rest = fill(await readFile(join(HERE, "rest.conf"), "utf8"));
    const manager: string[] = [];
    for (const part of rest.split(/^;;; /m).slice(1)) {
      const name = part.slice(0, part.indexOf("\n")).trim();
      const body = part.slice(part.indexOf("\n") + 1);
      if (name === "manager.conf") manager.push(body);
      else await writeFile(join(etc, name), body);
    }
    // As the operator does: the dialplan files next to extensions.conf, the [callsight] AMI user and
    // ARI user copied from the samples with a secret of their own.
    for (const f of ["callsight-recording.conf", "callsight-ari.conf"])
      await copyFile(join(DIALPLAN, f), join(etc, f));
    const amiSample = await readFile(join(DIALPLAN, "manager.conf.sample"), "utf8");
    manager.push(amiSample.replace(/^secret = .*$/m, `secret = ${this.ami.secret}`));
    await writeFile(join(etc, "manager.conf"), manager.join("\n"));
    const ariSample = await readFile(join(DIALPLAN, "ari.conf.sample"), "utf8");
    await writeFile(
      join(etc, "ari.conf"),
      ariSample.replace(/^password = .*$/m, `password = ${this.ari.secret}`),
    );
    // asterisk.conf last, as ../shared/pbx/README.md says.
    await writeFile(
      join(etc, "asterisk.conf"),
      `[directories]
astetcdir => ${r}/etc/asterisk
astmoddir => ${r}/lib/asterisk/modules
astvarlibdir => ${r}/var/lib/asterisk
astdbdir => ${r}/var/lib/asterisk
astkeydir => ${r}/var/lib/asterisk
astdatadir => ${r}/var/lib/asterisk
astagidir => ${r}/var/lib/asterisk/agi-bin
astspooldir => ${r}/var/spool/asterisk
astrundir => ${r}/var/run/asterisk
astlogdir => ${r}/var/log/asterisk
astcachedir => ${r}/var/cache/asterisk
astsbindir => ${r}/sbin
[options]
verbose = 3
defaultlanguage = en
`,
    );
  }

  private get command(): [string, string[], NodeJS.ProcessEnv] {
    return [
      join(this.root, "sbin/asterisk"),
      ["-C", join(this.root, "etc/asterisk/asterisk.conf")],
      { LD_LIBRARY_PATH: join(this.root, "lib") },
    ];
  }

  async start(): Promise<void> {
    const [bin, args, env] = this.command;
    this.process = await spawnLogged("asterisk", bin, [...args, "-f", "-n", "-g"], {
      dir: join(this.root, ".."),
      env,
    });
    await until(
      async () => {
        if (this.process?.child.exitCode !== null)
          throw new Error(`asterisk exited: ${(await this.process?.log())?.slice(-2000)}`);
        if (!existsSync(join(this.root, "var/run/asterisk/asterisk.ctl"))) return false;
        const out = await this.cli("core waitfullybooted");
        return out.includes("fully booted");
      },
      "Asterisk fully booted",
      30_000,
      200,
    );
  }

  /** One CLI command through the remote console (`asterisk -rx`). */
  async cli(command: string): Promise<string> {
    const [bin, args, env] = this.command;
    const { stdout } = await run(bin, [...args, "-rx", command], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return stdout;
  }

  /** The names of the channels up now (`core show channels concise`). */
  async channels(): Promise<string[]> {
    const out = await this.cli("core show channels concise");
    return out
      .split("\n")
      .filter((l) => l.includes("!"))
      .map((l) => l.split("!")[0] ?? "");
  }

  /** Hangs up every channel of a device (PJSIP/<ext>), as if the phone had hung up. */
  async hangupDevice(device: string): Promise<void> {
    for (const ch of await this.channels()) {
      if (ch.startsWith(`${device}-`)) await this.cli(`channel request hangup ${ch}`);
    }
  }

  async hangupAll(): Promise<void> {
    await this.cli("channel request hangup all");
    await until(async () => (await this.channels()).length === 0, "no channels left", 15_000);
  }

  async stop(): Promise<void> {
    if (!this.process) return;
    if (this.process.child.exitCode === null) await this.cli("core stop now").catch(() => undefined);
    await this.process.stop(5000);
    this.process = undefined;
  }
}
