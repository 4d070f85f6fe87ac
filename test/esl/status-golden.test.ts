// The real FreeSWITCH capture of a status set the way the ESL driver sets it (test/fixtures/freeswitch/
// 21-status.md): the commands the driver builds are the ones captured, the events FreeSWITCH fired for them
// translate to the status the board shows, and the resync reads the db as FreeSWITCH answered it.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { StatusBook } from "../../src/api/status/status-book.js";
import type { StatusRequest } from "../../src/pbx/driver.js";
import { readStatuses, statusDbCommands, statusEvents } from "../../src/pbx/freeswitch-esl/status-db.js";
import { readEslTrace } from "../../src/pbx/freeswitch-esl/trace.js";

const dir = "test/fixtures/freeswitch";
const NOTE = "Workshop, room 4 – zurück um 14:00";
const REQUESTS: StatusRequest[] = [
  { extension: "1005", status: "dnd", note: NOTE },
  { extension: "1005", status: "away", note: "Lunch" },
  { extension: "1005", status: "available" },
];

/** The control session: each command sent and the body (or Reply-Text) FreeSWITCH answered. */
function control(): { command: string; reply: string }[] {
  const text = readFileSync(`${dir}/21-status.control.txt`, "utf8");
  return text
    .split(/^>>> /m)
    .slice(1)
    .map((part) => {
      const [sent = "", answer = ""] = part.split(/^<<< /m);
      const reply = /Reply-Text: (.*)/.exec(answer)?.[1] ?? answer.split("\n\n").slice(1).join("\n\n").trim();
      return { command: sent.trim(), reply: reply.trim() };
    });
}

describe("a status on FreeSWITCH, as captured (21-status)", () => {
  it("the driver sends exactly the captured commands, in order, and FreeSWITCH took each", () => {
    const sent = control().filter(
      (c) => !c.command.startsWith("auth") && !/^api db (list|select)/.test(c.command),
    );
    const built = REQUESTS.flatMap((req) => [
      ...statusDbCommands(req).map((c) => `api ${c}`),
      ...statusEvents(req, "live.callsight.test").map((e) =>
        [`sendevent ${e.name}`, ...e.headers.map(([k, v]) => `${k}: ${v}`)].join("\n"),
      ),
    ]);
    expect(sent.map((c) => c.command)).toEqual(built);
    for (const c of sent) expect(c.reply, c.command).toMatch(/^\+OK/);
  });

  it("the events FreeSWITCH fired read as DND with its note, away with its note, then available", () => {
    const read = readEslTrace(readFileSync(`${dir}/21-status.esl.txt`), { pbx: "pbx" });
    expect(read.problems).toEqual([]);
    const facts = read.events.map((e) =>
      e.type === "presence.dnd"
        ? `dnd ${e.on ? "on" : "off"}`
        : e.type === "presence.state"
          ? `${e.state}${e.message ? ` "${e.message}"` : ""}`
          : e.type,
    );
    expect(facts).toEqual([
      "dnd on",
      `available "${NOTE}"`,
      'away "Lunch"',
      "dnd off",
      "available",
      "dnd off",
    ]);
    // As the board's status book reads them after each setStatus.
    const book = new StatusBook();
    const seen: unknown[] = [];
    for (const chunk of [read.events.slice(0, 2), read.events.slice(2, 4), read.events.slice(4)]) {
      book.observe(chunk);
      seen.push(book.statusOf("pbx", "1005"));
    }
    expect(seen).toEqual([
      { status: "dnd", note: NOTE },
      { status: "away", note: "Lunch" },
      { status: "available" },
    ]);
  });

  it("a resync reads the kept status back as FreeSWITCH answered the db: away with its note, then nothing", async () => {
    // The reads were made twice (after `away`, after `available`): each command's replies in order.
    const replies = new Map<string, string[]>();
    for (const c of control()) replies.set(c.command, [...(replies.get(c.command) ?? []), c.reply]);
    const conn = {
      api: async (command: string) => {
        const reply = replies.get(`api ${command}`)?.shift();
        if (reply === undefined) throw new Error(`not captured: ${command}`);
        return reply;
      },
    };
    expect(await readStatuses(conn, 1000)).toEqual([{ extension: "1005", status: "away", note: "Lunch" }]);
    expect(await readStatuses(conn, 1000)).toEqual([]);
  });
});
