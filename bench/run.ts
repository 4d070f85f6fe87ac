// Runs every benchmark and prints a table, or with `--json` one JSON object
// `{ "<figure>": { "value", "unit", "baseline", "ratio" } }` on stdout (progress goes to stderr).

import { benchAmiIngest, type Figure } from "./ami-ingest.js";
import { benchEslIngest } from "./esl-ingest.js";
import { benchFanout } from "./fanout.js";
import { benchRecording } from "./recording.js";
import { benchScale } from "./scale.js";

type Bench = (opts: { log: (line: string) => void }) => Promise<Record<string, Figure>>;

const BENCHES: [string, Bench][] = [
  ["ami-ingest", (opts) => benchAmiIngest(opts)],
  ["esl-ingest", (opts) => benchEslIngest(opts)],
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
    log(`running ${name} …`);
    Object.assign(figures, await bench({ log }));
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

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
