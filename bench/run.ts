// Runs every benchmark and prints a table, or with `--json` one JSON object
// `{ "<figure>": { "value", "unit", "baseline", "ratio" } }` on stdout (progress goes to stderr).

import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { benchAmiIngest, type Figure } from "./ami-ingest.js";
import { benchEslIngest } from "./esl-ingest.js";
import { benchFanout } from "./fanout.js";
import { benchAmiIngestQueues, benchEslIngestQueues } from "./ingest-queues.js";
import { benchRecording } from "./recording.js";
import { benchScale } from "./scale.js";

type Bench = (opts: { log: (line: string) => void }) => Promise<Record<string, Figure>>;

const BENCHES: [string, Bench][] = [
  ["ami-ingest", (opts) => benchAmiIngest(opts)],
  ["esl-ingest", (opts) => benchEslIngest(opts)],
  ["ami-ingest-queues", (opts) => benchAmiIngestQueues(opts)],
  ["esl-ingest-queues", (opts) => benchEslIngestQueues(opts)],
  ["recording", (opts) => benchRecording(opts)],
  ["fanout", (opts) => benchFanout(opts)],
  ["scale", (opts) => benchScale(opts)],
];

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const figures: Record<string, Figure> = {};
  for (const [name, bench] of BENCHES) {
    if (only && only !== name) continue;
    if (!only) await settle(log);
    else log(`running ${name} …`);
    // Each benchmark of a full run gets a fresh process: the heap and timers one leaves behind would
    // otherwise slow the next (the fan-out viewers share this process with the simulator).
    Object.assign(figures, only ? await bench({ log }) : await inChild(name));
  }
  if (json) {
    const out: Record<
      string,
      { value: number; unit: string; baseline: number | null; ratio: number | null }
    > = {};
    for (const [k, f] of Object.entries(figures)) {
      out[k] = { value: f.value, unit: f.unit, baseline: f.baseline ?? null, ratio: f.ratio ?? null };
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const rows = Object.entries(figures).map(([k, f]) => [
    k,
    `${f.value}`,
    f.unit,
    f.baseline === undefined ? "" : `${f.baseline}`,
    f.ratio === undefined ? "" : `${f.ratio}x`,
  ]);
  const header = ["figure", "value", "unit", "baseline", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

/**
 * Waits (at most a minute) until the machine is quiet: two one-second windows in a row with 85 % of the CPU
 * idle. The previous benchmark's files are still being written back and its processes winding down for a
 * while after it returns, and latency figures would carry that.
 */
async function settle(log: (line: string) => void): Promise<void> {
  const sample = async (): Promise<[number, number] | undefined> => {
    try {
      const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
      const n = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (n[3] ?? 0) + (n[4] ?? 0);
      return [idle, n.reduce((a, b) => a + b, 0)];
    } catch {
      return undefined;
    }
  };
  const deadline = Date.now() + 60_000;
  let quiet = 0;
  let before = await sample();
  if (!before) return;
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await sample();
    if (!now) return;
    const idleShare = (now[0] - before[0]) / Math.max(1, now[1] - before[1]);
    quiet = idleShare >= 0.85 ? quiet + 1 : 0;
    before = now;
  }
  if (quiet < 2) log("the machine did not quiet down within a minute; running anyway");
}

async function inChild(name: string): Promise<Record<string, Figure>> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--only=${name}`, "--json"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`benchmark ${name} failed (exit ${code})`);
  const parsed = JSON.parse(out) as Record<
    string,
    { value: number; unit: string; baseline: number | null; ratio: number | null }
  >;
  const figures: Record<string, Figure> = {};
  for (const [k, f] of Object.entries(parsed)) {
    figures[k] = {
      value: f.value,
      unit: f.unit,
      ...(f.baseline !== null ? { baseline: f.baseline } : {}),
      ...(f.ratio !== null ? { ratio: f.ratio } : {}),
    };
  }
  return figures;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
