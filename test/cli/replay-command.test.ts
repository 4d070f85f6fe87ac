import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe("callsight replay", () => {
  it("replays normalized events (--format events --json) and prints the contract's shape", async () => {
    const io = capture();
    const code = await main(
      ["replay", "test/fixtures/events/10b-chanspy-whisper.events.jsonl", "--format", "events", "--json"],
      io,
    );
    expect(code).toBe(0);
    const out = JSON.parse(io.stdout.join("\n"));
    expect(Object.keys(out)).toEqual(["events", "presenceTimeline", "calls", "final"]);
    expect(out.events).toHaveLength(25);
    expect(out.calls).toEqual([
      {
        id: "1795373527.105",
        direction: "outbound",
        answered: true,
        state: "ended",
        parties: [{ user: "1001" }, { number: "17778732492", external: true }],
        talkers: [{ number: "17778732492", external: true }, { user: "1001" }],
        recorded: false,
        monitoring: [{ by: "1004", target: "1001", mode: "whisper" }],
      },
    ]);
    expect(out.presenceTimeline["1004"]).toEqual(["available", "ringing", "on-call", "available"]);
    expect(out.final).toEqual({ presence: { "1001": "available", "1004": "available" }, activeCalls: [] });
  });

  it("replays a raw AMI capture with a directory from callsight.yaml", async () => {
    const io = capture();
    const code = await main(
      [
        "replay",
        "test/fixtures/asterisk/05-inbound-answered.ami.txt",
        "--format",
        "ami",
        "--config",
        "callsight.example.yaml",
        "--json",
      ],
      io,
    );
    expect(code).toBe(0);
    const out = JSON.parse(io.stdout.join("\n"));
    expect(out.calls[0].parties).toEqual([
      { number: "15551234567", name: "WIRELESS CALLER", external: true },
      { user: "1002" },
    ]);
    // Users of the directory who took no part still have a timeline.
    expect(out.presenceTimeline["1001"]).toEqual(["available"]);
  });

  it("replays a raw FreeSWITCH event socket capture (--format esl) into the same model as Asterisk's", async () => {
    const io = capture();
    expect(
      await main(
        ["replay", "test/fixtures/freeswitch/05-inbound-answered.esl.txt", "--format", "esl", "--json"],
        io,
      ),
    ).toBe(0);
    const out = JSON.parse(io.stdout.join("\n"));
    expect(out.calls).toEqual([
      expect.objectContaining({
        direction: "inbound",
        answered: true,
        state: "ended",
        parties: [expect.objectContaining({ number: "15551234567", external: true }), { user: "1002" }],
      }),
    ]);
    expect(out.presenceTimeline["1002"]).toEqual(["available", "ringing", "on-call", "available"]);
  });

  it("prints a readable timeline without --json", async () => {
    const io = capture();
    expect(
      await main(["replay", "test/fixtures/asterisk/01-internal-answered.ami.txt", "--format", "ami"], io),
    ).toBe(0);
    const text = io.stdout.join("\n");
    expect(text).toMatch(/leg\.created +PJSIP\/1002-00000052 .*\[1002: available -> ringing\]/);
    expect(text).toMatch(/1795373398\.81 {2}internal {2}answered {2}ended {2}1001 <-> 1002/);
  });

  it("refuses an unknown format instead of doing nothing", async () => {
    const io = capture();
    expect(
      await main(["replay", "test/fixtures/events/01-internal-answered.events.jsonl", "--format", "sip"], io),
    ).toBe(2);
    expect(io.stderr.join("\n")).toMatch(/unknown --format "sip" \(known: [a-z, ]+\)/);
    for (const known of ["events", "ami", "esl"]) expect(io.stderr.join("\n")).toContain(known);
  });

  it("reports bad lines of an events file and still replays the good ones", async () => {
    const file = join(tmpdir(), `callsight-bad-${process.pid}.jsonl`);
    writeFileSync(
      file,
      [
        "{not json",
        JSON.stringify({ type: "leg.answered" }),
        JSON.stringify({ type: "presence.dnd", extension: "1001", on: true }),
      ].join("\n"),
    );
    const io = capture();
    expect(await main(["replay", file, "--format", "events", "--json"], io)).toBe(0);
    expect(io.stderr[0]).toMatch(/^warning: line 1: not JSON/);
    expect(io.stderr[1]).toMatch(/^warning: line 2: leg: /);
    const out = JSON.parse(io.stdout.join("\n"));
    expect(out.final.presence).toEqual({ "1001": "dnd" });
  });
});
