// The queues' resync (`QueueStatus`, resync.ts queuesFromStatus) on the real answers the capture tool's control
// session got (test/fixtures/queues/asterisk/*.control.txt): who waits and since when, who is a member, who is
// paused with which reason since when — and the queue panel after a resync equals the one the events built.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { QueueSnapshot } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { queuesFor } from "../../src/domain/queue-view.js";
import { type AmiFrame, AmiFrameParser } from "../../src/pbx/asterisk-ami/frame-parser.js";
import { queuesFromStatus } from "../../src/pbx/asterisk-ami/resync.js";
import { AMI_FRAME_INTEREST } from "../../src/pbx/asterisk-ami/translate.js";
import { readTrace } from "../../src/replay/formats.js";

const dir = "test/fixtures/queues/asterisk";

function controlFrames(name: string): AmiFrame[] {
  const text = readFileSync(`${dir}/${name}.control.txt`, "utf8");
  const out: AmiFrame[] = [];
  // The control file starts with a comment line, then the actions sent and the raw answers.
  const body = text.slice(text.indexOf("\n") + 1);
  new AmiFrameParser({ frame: (f) => out.push(f), malformed: () => undefined }, undefined, {
    banner: false,
  }).push(body);
  return out;
}

/** The items of the n-th QueueStatus answer (0-based) of a control file. */
function queueStatus(name: string, n: number): AmiFrame[] {
  const frames = controlFrames(name);
  const ids = [...new Set(frames.filter((f) => f.Event === "QueueStatusComplete").map((f) => f.ActionID))];
  return frames.filter(
    (f) => f.ActionID === ids[n] && f.Event !== undefined && f.Event !== "QueueStatusComplete",
  );
}

describe("queuesFromStatus on real QueueStatus answers", () => {
  it("32, while the caller waits: the caller at position 1, waiting since ~2 s; Alice and Bob members, not paused", () => {
    const at = 1_796_593_846_768;
    const snapshot = queuesFromStatus("main", at, queueStatus("32-queue-answered", 1)) as QueueSnapshot;
    expect(snapshot.queues).toEqual([
      {
        queue: "400",
        callers: [{ leg: "1796593844.17", position: 1, since: at - 2000 }],
        members: [
          { agent: "Local/1001@from-queue/n", extension: "1001", name: "Alice Sales", paused: false },
          { agent: "Local/1002@from-queue/n", extension: "1002", name: "Bob Sales", paused: false },
        ],
      },
    ]);
  });

  it("34, after QueuePause Reason=Lunch: Alice paused for lunch since the pause", () => {
    const snapshot = queuesFromStatus(
      "main",
      1_796_593_869_032,
      queueStatus("34-queue-pause", 1),
    ) as QueueSnapshot;
    const alice = snapshot.queues[0]?.members.find((m) => m.extension === "1001");
    expect(alice).toEqual({
      agent: "Local/1001@from-queue/n",
      extension: "1001",
      name: "Alice Sales",
      paused: true,
      pauseReason: "Lunch",
      pausedSince: 1_796_593_868_000,
    });
  });

  it("the session's frame parser (which skips ignored events unparsed) lets every item and the list's end through", () => {
    const text = readFileSync(`${dir}/32-queue-answered.control.txt`, "utf8");
    const kept: AmiFrame[] = [];
    new AmiFrameParser({ frame: (f) => kept.push(f), malformed: () => undefined }, undefined, {
      banner: false,
      interest: AMI_FRAME_INTEREST,
    }).push(text.slice(text.indexOf("\n") + 1));
    const events = (all: AmiFrame[]) => all.filter((f) => f.Event?.startsWith("Queue")).map((f) => f.Event);
    expect(events(kept)).toEqual(events(controlFrames("32-queue-answered")));
    expect(kept.some((f) => f.Event === "QueueStatusComplete")).toBe(true);
  });

  it("no answer: nothing is concluded (undefined), an empty answer: no queues", () => {
    expect(queuesFromStatus("main", 1, undefined)).toBeUndefined();
    expect(queuesFromStatus("main", 1, [])?.queues).toEqual([]);
  });
});

describe("a resync puts the queue panel right", () => {
  const user = (id: string, role: User["role"] = "agent"): User => ({
    id,
    name: id,
    extension: id,
    pbx: "main",
    devices: [],
    departments: ["sales"],
    role,
    settings: defaultSettings(),
  });
  const directory = makeDirectory(
    [{ id: "sales", name: "Sales", queues: [{ pbx: "main", name: "400" }] }],
    [user("1001"), user("1002"), user("1004", "supervisor")],
  );

  it("a model that missed the events (connected mid-call) learns the waiting caller and the members", () => {
    const events = readTrace(`${dir}/32-queue-answered.ami.txt`, "ami", { pbx: "main" }).events;
    const at = 1_796_593_846_768;
    const model = new LiveModel(directory);
    // Only the channel events up to the control's second QueueStatus, none of the queue events.
    for (const e of events) if (e.at <= at && !e.type.startsWith("queue.")) model.apply(e);
    const before = queuesFor(directory.users.get("1004") as User, directory, model)[0];
    expect(before?.waiting).toEqual([]);
    const changes = model.apply(
      queuesFromStatus("main", at, queueStatus("32-queue-answered", 1)) as QueueSnapshot,
    );
    expect(changes).toContainEqual({ kind: "queue", pbx: "main", name: "400" });
    const after = queuesFor(directory.users.get("1004") as User, directory, model)[0];
    expect(after?.waiting).toEqual([
      {
        position: 1,
        since: at - 2000,
        caller: { number: "15551234567", name: "WIRELESS CALLER", external: true },
      },
    ]);
    expect(after?.agents.map((a) => [a.user, a.loggedIn, a.paused])).toEqual([
      ["1001", true, false],
      ["1002", true, false],
    ]);
  });

  it("a member the PBX no longer lists has logged out while the link was down", () => {
    const model = new LiveModel(directory);
    model.apply({
      type: "queue.member",
      pbx: "main",
      at: 1,
      queue: "400",
      agent: "Local/1002@from-queue/n",
      extension: "1002",
      loggedIn: true,
      paused: true,
      pauseReason: "Break",
    });
    model.apply({
      type: "queue.snapshot",
      pbx: "main",
      at: 2,
      queues: [{ queue: "400", callers: [], members: [] }],
    });
    expect(queuesFor(directory.users.get("1004") as User, directory, model)[0]?.agents).toEqual([]);
  });
});
