// Rule Q (docs/design.md, "Rule Q — queues") as a property: for any directory and any run of queue events, each
// viewer's queue panels hold only what the rule allows — a panel only for the owning department's people and
// admins; a waiting caller's identity only for the queue's logged-in agents, the department's supervisors and
// admins; an agent named only when the viewer may see that user's presence (rule 1), else counted; a member no
// user is known for only for supervisors and admins. The oracle below is written from the rule, not from
// queue-view.ts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { LiveModel } from "../../src/domain/live-model.js";
import { queuesFor } from "../../src/domain/queue-view.js";
import { canSeePresence } from "../../src/domain/visibility.js";

const PBX = "main";
const QUEUE = "400";
const EXTENSIONS = ["1001", "1002", "1003", "1004", "1005"];
/** A member whose phone is nobody's in the directory. */
const STRANGER = "1999";

const userArb = (extension: string) =>
  fc.record({
    departments: fc.subarray(["sales", "support"], { minLength: 1 }),
    role: fc.constantFrom("agent", "agent", "supervisor", "admin") as fc.Arbitrary<User["role"]>,
    sharePresence: fc.boolean(),
    presence: fc.boolean(),
    extension: fc.constant(extension),
  });

type Step =
  | { k: "member"; ext: string; loggedIn: boolean; paused: boolean }
  | { k: "join"; caller: number }
  | { k: "left"; caller: number; abandoned: boolean }
  | { k: "answer"; caller: number; ext: string };

const extArb = fc.constantFrom(...EXTENSIONS, STRANGER);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant("member" as const), ext: extArb, loggedIn: fc.boolean(), paused: fc.boolean() }),
  fc.record({ k: fc.constant("join" as const), caller: fc.nat(3) }),
  fc.record({ k: fc.constant("left" as const), caller: fc.nat(3), abandoned: fc.boolean() }),
  fc.record({ k: fc.constant("answer" as const), caller: fc.nat(3), ext: extArb }),
);

function eventsOf(steps: Step[]): PbxEvent[] {
  const out: PbxEvent[] = [];
  let at = 1_800_000_000_000;
  const created = new Set<number>();
  for (const s of steps) {
    at += 1000;
    const base = { pbx: PBX, at };
    const agent = (ext: string) => `Local/${ext}@from-queue/n`;
    if (s.k === "member") {
      out.push({
        ...base,
        type: "queue.member",
        queue: QUEUE,
        agent: agent(s.ext),
        extension: s.ext,
        loggedIn: s.loggedIn,
        paused: s.paused,
        ...(s.paused ? { pauseReason: "Lunch" } : {}),
      });
      continue;
    }
    const leg = `caller-${s.caller}`;
    if (!created.has(s.caller)) {
      created.add(s.caller);
      out.push({
        ...base,
        type: "leg.created",
        leg,
        callId: leg,
        channel: `PJSIP/carrier-${s.caller}`,
        endpoint: "PJSIP/carrier",
        side: "external",
        number: `+4930123456${s.caller}`,
        name: `Caller ${s.caller}`,
        outgoing: false,
      });
    }
    if (s.k === "join")
      out.push({ ...base, type: "queue.callerJoined", queue: QUEUE, leg, position: s.caller + 1 });
    else if (s.k === "left")
      out.push({
        ...base,
        type: "queue.callerLeft",
        queue: QUEUE,
        leg,
        reason: s.abandoned ? "abandoned" : "left",
      });
    else
      out.push({ ...base, type: "queue.answered", queue: QUEUE, leg, agent: agent(s.ext), extension: s.ext });
  }
  return out;
}

describe("rule Q: what each viewer's queue panels hold", () => {
  it("never more than the rule allows, and everything it allows", () => {
    fc.assert(
      fc.property(
        fc.tuple(...EXTENSIONS.map(userArb)),
        fc.array(stepArb, { maxLength: 30 }),
        (specs, steps) => {
          const users: User[] = specs.map((u) => ({
            id: `u${u.extension}`,
            name: `User ${u.extension}`,
            extension: u.extension,
            pbx: PBX,
            devices: [],
            departments: u.departments,
            role: u.role,
            settings: { ...defaultSettings(), sharePresence: u.sharePresence, presence: u.presence },
          }));
          const directory = makeDirectory(
            [
              { id: "sales", name: "Sales", queues: [{ pbx: PBX, name: QUEUE }] },
              { id: "support", name: "Support" },
            ],
            users,
          );
          const model = new LiveModel(directory);
          for (const e of eventsOf(steps)) model.apply(e);
          const state = model.queueState(PBX, QUEUE);
          const userOf = (ext?: string) => users.find((u) => u.extension === ext);
          for (const v of users) {
            const panels = queuesFor(v, directory, model);
            const admin = v.role === "admin";
            if (!admin && !v.departments.includes("sales")) {
              expect(panels).toEqual([]);
              continue;
            }
            expect(panels).toHaveLength(1);
            const panel = panels[0]!;
            if (!state) {
              expect(panel.waiting).toEqual([]);
              expect(panel.agents).toEqual([]);
              continue;
            }
            const supervisor = admin || v.role === "supervisor";
            const agentOfQueue = state.agents.some((a) => a.loggedIn && userOf(a.extension)?.id === v.id);
            // Waiting callers: all of them, identified exactly when the rule says.
            expect(panel.waiting).toHaveLength(state.waiting.length);
            for (const w of panel.waiting) {
              expect(Object.keys(w).every((k) => ["position", "since", "caller"].includes(k))).toBe(true);
              expect(w.caller !== undefined).toBe(supervisor || agentOfQueue);
            }
            // Agents: named when rule 1 lets the viewer see them; strangers for supervisors only; else counted.
            let hiddenLoggedIn = 0;
            for (const a of state.agents) {
              const u = userOf(a.extension);
              const shown = u ? u.id === v.id || canSeePresence(v, u) : supervisor;
              const listed = panel.agents.filter((p) => (u ? p.user === u.id : p.name === a.agent));
              expect(listed).toHaveLength(shown ? 1 : 0);
              if (!shown && a.loggedIn) hiddenLoggedIn++;
              if (listed[0]?.pauseReason !== undefined) expect(listed[0].paused).toBe(true);
            }
            expect(panel.otherAgents.loggedIn).toBe(hiddenLoggedIn);
            // Nobody the viewer may not see is named anywhere in the panel.
            const text = JSON.stringify(panel);
            for (const u of users) {
              if (u.id === v.id || canSeePresence(v, u)) continue;
              expect(text.includes(`"${u.id}"`)).toBe(false);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
