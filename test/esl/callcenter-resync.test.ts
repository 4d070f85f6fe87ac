// mod_callcenter's resync (callcenter-resync.ts) on the real replies the capture tool's control session got
// (test/fixtures/queues/freeswitch/*.control.txt): while a caller waits in sales@default, both agents are in
// the queue and the caller waits since it joined; an agent on break is paused since its status changed; a
// logged-out agent is not in the queue.

import { describe, expect, it } from "vitest";
import { callcenterSnapshot } from "../../src/pbx/freeswitch-esl/callcenter-resync.js";
import { controlExchanges } from "./helpers.js";

const dir = "test/fixtures/queues/freeswitch";
// `callcenter_config queue list` was not among the captured commands: its reply's first lines, as 1.11 answers.
const QUEUES =
  "name|strategy|moh_sound|time_base_score|tier_rules_apply\nsales@default|ring-all|tone_stream://%(200,3800,440);loops=-1|system|false\n+OK\n";

function replies(file: string, agentsAt: number, membersAt?: number) {
  const exchanges = controlExchanges(`${dir}/${file}.control.txt`);
  const nth = (command: string, n: number) => exchanges.filter((e) => e.command === command)[n]?.body;
  return {
    queues: QUEUES,
    agents: new Map([
      ["sales@default", nth("api callcenter_config queue list agents sales@default", agentsAt)],
    ]),
    members: new Map([
      [
        "sales@default",
        membersAt === undefined
          ? undefined
          : nth("api callcenter_config queue list members sales@default", membersAt),
      ],
    ]),
  };
}

describe("callcenterSnapshot on real mod_callcenter replies", () => {
  it("30, while the caller waits: both agents in the queue, the caller waiting since it joined", () => {
    const snapshot = callcenterSnapshot("main", 1, replies("30-callcenter-answered", 0, 0));
    expect(snapshot.queues).toEqual([
      {
        queue: "sales@default",
        callers: [{ leg: "ccc2dc2b-5f70-413f-9b6e-17982c9c52f0", since: 1_796_593_608_000 }],
        members: [
          { agent: "1001@default", extension: "1001", paused: false },
          { agent: "1002@default", extension: "1002", paused: false },
        ],
      },
    ]);
  });

  it("32: Carol added and available is a member; a queue whose agents list is missing has none", () => {
    const snapshot = callcenterSnapshot("main", 1, replies("32-callcenter-agent-status", 1));
    expect(snapshot.queues[0]?.members.map((m) => [m.extension, m.paused])).toEqual([
      ["1001", false],
      ["1002", false],
      ["1003", false],
    ]);
    expect(snapshot.queues[0]?.callers).toEqual([]);
  });

  it("an agent On Break is paused since its last status change; one Logged Out is listed logged out", () => {
    const agents =
      "name|instance_id|uuid|type|contact|status|state|last_status_change\n" +
      "7f3a@example.com|single_box||callback|[call_timeout=20]user/1001@example.com|On Break|Idle|1796593700\n" +
      "1002@example.com|single_box||callback|user/1002@example.com|Logged Out|Idle|1796593600\n+OK\n";
    const snapshot = callcenterSnapshot("main", 1, {
      queues: QUEUES,
      agents: new Map([["sales@default", agents]]),
      members: new Map(),
    });
    expect(snapshot.queues[0]?.members).toEqual([
      // A FusionPBX agent named by id: its extension from the contact.
      {
        agent: "7f3a@example.com",
        extension: "1001",
        paused: true,
        pauseReason: "On Break",
        pausedSince: 1_796_593_700_000,
      },
      // A tier's agent logged out is still the queue's: a login makes it available there.
      { agent: "1002@example.com", extension: "1002", loggedIn: false, paused: false },
    ]);
  });
});
