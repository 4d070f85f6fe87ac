// Callsight as an operator runs it: the built CLI (`node bin/callsight.js serve` and `worker`) as
// separate processes against a private Redis, configured by a callsight.yaml in the run's folder.
// Tests see it only through the public API, the WebSocket stream and the recording store.

import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { freePort, type Spawned, spawnLogged, until } from "./processes.js";

const run = promisify(execFile);
const CLI = new URL("../../../bin/callsight.js", import.meta.url).pathname;

export interface LiveUser {
  id: string;
  name: string;
  extension: string;
  departments: string[];
  role?: "agent" | "supervisor" | "admin";
  [setting: string]: unknown;
}

/** The directory every live scenario uses: Sales 1001–1003, Support 1004–1006, a supervisor and an admin. */
export function liveUsers(): LiveUser[] {
  return [
    { id: "1001", name: "Alice Sales", extension: "1001", departments: ["sales"], recording: "off" },
    // Bob keeps whom he talks to to himself: colleagues see that he is on a call, not with whom.
    {
      id: "1002",
      name: "Bob Sales",
      extension: "1002",
      departments: ["sales"],
      recording: "off",
      showMyCalls: false,
    },
    { id: "1003", name: "Carol Sales", extension: "1003", departments: ["sales"], recording: "off" },
    {
      id: "1004",
      name: "Dave Support",
      extension: "1004",
      departments: ["support", "sales"],
      role: "supervisor",
      operations: { listen: true, whisper: true, barge: true, takeOver: true },
      recording: "off",
    },
    { id: "1005", name: "Erin Support", extension: "1005", departments: ["support"], recording: "off" },
    { id: "1006", name: "Frank Support", extension: "1006", departments: ["support"], recording: "off" },
    { id: "admin", name: "Ada Admin", extension: "1099", departments: ["sales", "support"], role: "admin" },
  ];
}

export interface CallsightOptions {
  dir: string;
  redisUrl: string;
  pbx: Record<string, unknown>;
  recordingDirectory: string;
  users?: LiveUser[];
  /** The PBX queues the Sales department owns (its panel: README "Queues and ring groups"). */
  salesQueues?: string[];
  env?: NodeJS.ProcessEnv;
}

export class LiveCallsight {
  server?: Spawned;
  worker?: Spawned;
  readonly base: string;
  private tokens = new Map<string, string>();

  private constructor(
    readonly options: CallsightOptions,
    readonly port: number,
    readonly configFile: string,
    readonly store: string,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  static async create(options: CallsightOptions): Promise<LiveCallsight> {
    const configFile = join(options.dir, "callsight.yaml");
    const store = join(options.dir, "store");
    const config = {
      pbx: [options.pbx],
      recording: { directory: options.recordingDirectory, store, retentionDays: 30, beepSeconds: 0 },
      departments: [
        {
          id: "sales",
          name: "Sales",
          ...(options.salesQueues?.length ? { queues: options.salesQueues.map((name) => ({ name })) } : {}),
        },
        { id: "support", name: "Support" },
      ],
      users: options.users ?? liveUsers(),
    };
    await writeFile(configFile, stringify(config));
    return new LiveCallsight(options, await freePort(), configFile, store);
  }

  private env(): NodeJS.ProcessEnv {
    return {
      REDIS_URL: this.options.redisUrl,
      CALLSIGHT_CONFIG: this.configFile,
      CALLSIGHT_OUTBOX: join(this.options.dir, "outbox.jsonl"),
      LOG_LEVEL: "debug",
      ...this.options.env,
    };
  }

  async start(): Promise<void> {
    await this.startServer();
    await this.startWorker();
  }

  async startServer(): Promise<void> {
    this.server = await spawnLogged(
      "callsight-serve",
      process.execPath,
      [CLI, "serve", "--listen", `127.0.0.1:${this.port}`],
      {
        dir: this.options.dir,
        env: this.env(),
      },
    );
    await until(
      async () => {
        if (this.server?.child.exitCode !== null)
          throw new Error(`callsight serve exited: ${(await this.server?.log())?.slice(-3000)}`);
        const res = await fetch(`${this.base}/healthz`).catch(() => undefined);
        return res?.ok;
      },
      "callsight serve answering /healthz",
      30_000,
      200,
    );
  }

  async startWorker(): Promise<void> {
    this.worker = await spawnLogged("callsight-worker", process.execPath, [CLI, "worker"], {
      dir: this.options.dir,
      env: this.env(),
    });
    await until(
      async () =>
        (await this.worker?.log())?.includes("worker started") || this.worker?.child.exitCode !== null,
      "worker started",
      30_000,
      200,
    );
    if (this.worker.child.exitCode !== null)
      throw new Error(`callsight worker exited: ${await this.worker.log()}`);
  }

  async stop(): Promise<void> {
    await this.worker?.stop(10_000);
    await this.server?.stop(10_000);
  }

  /** A bearer token for a user, issued by `callsight token create` like an operator would. */
  async token(user: string): Promise<string> {
    let t = this.tokens.get(user);
    if (!t) {
      const { stdout } = await run(process.execPath, [CLI, "token", "create", user], {
        env: { ...process.env, ...this.env() },
      });
      t = stdout.trim();
      this.tokens.set(user, t);
    }
    return t;
  }

  async api(
    method: string,
    path: string,
    user: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token(user)}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  }

  async readyz(): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}/readyz`);
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }
}
