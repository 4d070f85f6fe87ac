// AmiFrameParser on awkward chunking: CRLF and multi-byte UTF-8 split across chunks, repeated keys,
// oversized and malformed frames, and every real trace fed one byte at a time.

import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultTracesDir } from "../../simulators/ami-trace.js";
import { type AmiFrame, AmiFrameParser, formatAction } from "../../src/pbx/asterisk-ami/frame-parser.js";

interface Collected {
  frames: AmiFrame[];
  repeated: (Record<string, string[]> | undefined)[];
  banners: string[];
  malformed: { reason: string; sample: string }[];
}

function collector(maxFrameBytes?: number, banner = true): { parser: AmiFrameParser; out: Collected } {
  const out: Collected = { frames: [], repeated: [], banners: [], malformed: [] };
  const parser = new AmiFrameParser(
    {
      frame: (f, r) => {
        out.frames.push(f);
        out.repeated.push(r);
      },
      banner: (line) => out.banners.push(line),
      malformed: (reason, sample) => out.malformed.push({ reason, sample }),
    },
    maxFrameBytes,
    { banner },
  );
  return { parser, out };
}

const EVENT = "Event: Newchannel\r\nChannel: PJSIP/1001-00000001\r\nUniqueid: 1.1\r\n\r\n";

describe("AmiFrameParser", () => {
  it("reads the banner and a frame", () => {
    const { parser, out } = collector();
    parser.push(`Asterisk Call Manager/13.0.0\r\n${EVENT}`);
    expect(out.banners).toEqual(["Asterisk Call Manager/13.0.0"]);
    expect(out.frames).toEqual([{ Event: "Newchannel", Channel: "PJSIP/1001-00000001", Uniqueid: "1.1" }]);
  });

  it("finds CRLF and the blank line when they are split across chunks at every position", () => {
    const bytes = Buffer.from(`Asterisk Call Manager/13.0.0\r\n${EVENT}${EVENT}`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, out } = collector();
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      expect(out.frames, `cut at ${cut}`).toHaveLength(2);
      expect(out.malformed).toEqual([]);
    }
  });

  it("decodes multi-byte UTF-8 split inside a character", () => {
    const name = "Zoë Ångström 日本 🎧";
    const bytes = Buffer.from(`Event: Newchannel\r\nCallerIDName: ${name}\r\n\r\n`, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, out } = collector(undefined, false);
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      expect(out.frames[0]?.CallerIDName, `cut at ${cut}`).toBe(name);
    }
  });

  it("keeps every value of a repeated key", () => {
    const { parser, out } = collector(undefined, false);
    parser.push(
      "Event: VarSet\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nChanVariable: C=3\r\nUniqueid: 9.9\r\n\r\n",
    );
    expect(out.frames[0]?.ChanVariable).toBe("A=1");
    expect(out.repeated[0]).toEqual({ ChanVariable: ["A=1", "B=2", "C=3"] });
  });

  it("keeps values containing colons and empty values; keys keep their spelling", () => {
    const { parser, out } = collector(undefined, false);
    parser.push(
      "Event: Newexten\r\nAppData: PJSIP/1002,30,tT: x\r\nAccountCode: \r\nCause-txt: Normal\r\n\r\n",
    );
    expect(out.frames[0]).toEqual({
      Event: "Newexten",
      AppData: "PJSIP/1002,30,tT: x",
      AccountCode: "",
      "Cause-txt": "Normal",
    });
  });

  it("reports a frame with neither Event nor Response and goes on", () => {
    const { parser, out } = collector(undefined, false);
    parser.push(`\u0000\u00ff garbage\r\nmore garbage\r\n\r\n${EVENT}`);
    expect(out.malformed).toHaveLength(1);
    expect(out.frames).toHaveLength(1);
  });

  it("skips a frame longer than the limit without holding it in memory, then resumes", () => {
    const { parser, out } = collector(64 * 1024, false);
    const big = `X-Junk: ${"a".repeat(1024 * 1024)}`;
    for (let i = 0; i < big.length; i += 16 * 1024) parser.push(big.slice(i, i + 16 * 1024));
    parser.push(`\r\n\r\n${EVENT}`);
    expect(out.malformed).toHaveLength(1);
    expect(out.malformed[0]?.reason).toMatch(/longer than/);
    expect(out.frames).toEqual([{ Event: "Newchannel", Channel: "PJSIP/1001-00000001", Uniqueid: "1.1" }]);
  });

  it("parses every captured trace identically whether fed whole or byte by byte", () => {
    const dir = defaultTracesDir();
    for (const name of ["01-internal-answered", "10c-chanspy-barge", "20-actions"]) {
      const bytes = readFileSync(path.join(dir, `${name}.ami.txt`));
      const whole = collector();
      whole.parser.push(bytes);
      const bytewise = collector();
      for (let i = 0; i < bytes.length; i++) bytewise.parser.push(bytes.subarray(i, i + 1));
      expect(bytewise.out.frames).toEqual(whole.out.frames);
      expect(whole.out.malformed).toEqual([]);
      expect(whole.out.frames.length).toBeGreaterThan(30);
    }
  });

  it("formatAction refuses header injection", () => {
    expect(formatAction("Ping", { ActionID: "a-1" })).toBe("Action: Ping\r\nActionID: a-1\r\n\r\n");
    expect(() => formatAction("Redirect", { Channel: "PJSIP/1001\r\nAction: Hangup" })).toThrow(/line break/);
  });
});
