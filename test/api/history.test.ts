// GET /v1/history on a real API and a real Redis: the captured traces are applied to the model (as the PBX
// would deliver them), each ended call becomes one row, and each viewer gets the rows and fields the board's
// rules allow them — no outside number where the board hides it, "a colleague" for one who hides — with
// filters that match only what the viewer is shown. Also: 400s naming the field, two instances writing the
// same calls (one row each), and the retention trim.

import { readFileSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../src/config/load.js";
import { type HistoryRow, historyRow } from "../../src/domain/call-history.js";
import type { PbxEvent } from "../../src/domain/events.js";
import { historyKeys } from "../../src/redis-keys.js";
import { readTrace } from "../../src/replay/formats.js";
import { Callsight } from "../../src/runtime/callsight.js";
import { DAY_MS, HistoryStore } from "../../src/stores/history-store.js";
import { testRedis } from "../support/redis.js";
import { type Harness, startHarness } from "./harness.js";

/** The example configuration plus Gina, a sales colleague on none of the traces' calls. */
function config(): string {
  const doc = parse(readFileSync("callsight.example.yaml", "utf8")) as { users: unknown[] };
  doc.users.push({ id: "1007", name: "Gina Sales", extension: "1007", departments: ["sales"] });
  return stringify(doc);
}

/** A trace's events, moved so that its first event happens at `start` (the traces were captured in 2026). */
function trace(name: string, start: number): PbxEvent[] {
  const events = readTrace(`test/fixtures/asterisk/${name}.ami.txt`, "ami", { pbx: "main" }).events;
  const shift = start - (events[0]?.at ?? start);
  return events.map((e) => ({ ...e, at: e.at + shift }));
}

const OUTSIDE = "15551234567";
const MINUTE = 60_000;

describe("GET /v1/history", () => {
  let h: Harness;
  const base = Date.now() - 60 * MINUTE;
  // In this order, a minute apart: 01 1001 -> 1002 answered; 02 1001 -> 1002 cancelled (missed by 1002);
  // 05 outside -> 1002 answered; 09 1001 -> 1002, picked up by 1003 (missed by 1002).
  const scenarios = [
    "01-internal-answered",
    "02-internal-cancelled",
    "05-inbound-answered",
    "09-directed-pickup",
  ];
  const starts = new Map(scenarios.map((s, i) => [s, base + i * MINUTE]));
  const callOf = new Map<string, string>();

  const get = async (user: string, query = "") =>
    h.request("GET", `/v1/history${query}`, await h.token(user));
  const scenariosOf = (rows: { call?: string; startedAt: number }[]) =>
    rows.map((r) => scenarios.find((s) => starts.get(s) === r.startedAt) ?? "?");

  beforeAll(async () => {
    h = await startHarness({ config: config() });
    for (const name of scenarios) {
      const events = trace(name, starts.get(name) as number);
      h.callsight.apply(events);
      callOf.set(name, events.find((e) => e.type === "leg.created")?.callId ?? "");
    }
    await h.callsight.historyRecorder.idle();
  }, 30_000);

  afterAll(async () => {
    await h?.close();
  });

  it("needs a token", async () => {
    expect((await h.request("GET", "/v1/history")).status).toBe(401);
  });

  it("gives an admin every call, newest first, in full", async () => {
    const r = await get("admin");
    expect(r.status).toBe(200);
    expect(scenariosOf(r.body.history)).toEqual([...scenarios].reverse());
    const inbound = r.body.history[1];
    expect(inbound).toMatchObject({
      id: `main:${callOf.get("05-inbound-answered")}`,
      call: callOf.get("05-inbound-answered"),
      direction: "inbound",
      answered: true,
      missed: false,
      recorded: false,
      parties: [
        { number: OUTSIDE, name: "WIRELESS CALLER", external: true, caller: true, talked: true },
        { user: "1002", talked: true },
      ],
    });
    expect(inbound.talkMs).toBeGreaterThan(2500);
    const pickup = r.body.history[0];
    expect(pickup.pickups).toEqual([
      expect.objectContaining({
        by: expect.objectContaining({ user: "1003" }),
        from: expect.objectContaining({ user: "1002" }),
      }),
    ]);
  });

  it("gives Bob his own inbound call with the caller, and his missed calls as missed", async () => {
    const r = await get("1002");
    expect(scenariosOf(r.body.history)).toEqual([...scenarios].reverse());
    expect(JSON.stringify(r.body.history)).toContain(OUTSIDE);
    const missed = await get("1002", "?missed=true");
    expect(scenariosOf(missed.body.history)).toEqual(["09-directed-pickup", "02-internal-cancelled"]);
    const answered = await get("1002", "?missed=false");
    expect(scenariosOf(answered.body.history)).toEqual(["05-inbound-answered", "01-internal-answered"]);
  });

  it("gives Alice Bob's inbound call as his tile shows it: no caller, no call id, only that it was answered", async () => {
    const r = await get("1001");
    expect(scenariosOf(r.body.history)).toEqual([...scenarios].reverse());
    const inbound = r.body.history[1];
    expect(inbound).toEqual({
      startedAt: starts.get("05-inbound-answered"),
      endedAt: expect.any(Number),
      talkMs: expect.any(Number),
      answered: true,
      missed: false,
      person: { user: "1002", talked: true },
    });
    expect(r.text).not.toContain(OUTSIDE);
    expect(r.text).not.toContain("WIRELESS");
    // Her own calls in full, the colleagues on them included (rule 5).
    expect(r.body.history[0].parties.map((p: { user?: string }) => p.user)).toEqual(["1001", "1002", "1003"]);
  });

  it("gives nobody a call of people whose calls they may not see", async () => {
    expect((await get("1004")).body.history).toEqual([]); // Dave: another department
    expect((await get("1005")).body.history).toEqual([]); // Erin: support, and does not see calls
    expect((await get("1006")).body.history).toEqual([]); // Frank: does not see presence
  });

  it("shows a colleague who hides as only 'a colleague', and a user filter cannot find them", async () => {
    // Gina (sales) sees Alice's calls with details; Bob does not show his calls, Carol does not share presence.
    const r = await get("1007");
    expect(scenariosOf(r.body.history)).toEqual([...scenarios].reverse());
    expect(r.body.history[0].parties).toEqual([
      expect.objectContaining({ user: "1001", caller: true, talked: true }),
      { external: false, missed: true },
      { external: false, talked: true },
    ]);
    expect(r.body.history[0].pickups).toEqual([
      { at: expect.any(Number), by: { external: false }, from: { external: false } },
    ]);
    expect(r.text).not.toContain(OUTSIDE);
    // Bob is named only on the call Gina sees as his (the inbound one, without details); Carol on none.
    expect(scenariosOf((await get("1007", "?user=1002")).body.history)).toEqual(["05-inbound-answered"]);
    expect((await get("1007", "?user=1003")).body.history).toEqual([]);
    // The same answer as for a user who does not exist.
    expect((await get("1007", "?user=nobody")).body.history).toEqual([]);
    // Missed by Bob, as far as Gina can tell: the calls nobody answered only.
    expect(scenariosOf((await get("1007", "?user=1002&missed=true")).body.history)).toEqual([]);
    expect(scenariosOf((await get("1007", "?missed=true")).body.history)).toEqual(["02-internal-cancelled"]);
  });

  it("filters by user, time and count", async () => {
    expect(scenariosOf((await get("1001", "?user=1003")).body.history)).toEqual(["09-directed-pickup"]);
    expect(scenariosOf((await get("admin", "?user=1002&missed=true")).body.history)).toEqual([
      "09-directed-pickup",
      "02-internal-cancelled",
    ]);
    const from = starts.get("02-internal-cancelled") as number;
    const to = starts.get("05-inbound-answered") as number;
    expect(scenariosOf((await get("1001", `?from=${from}&to=${to}`)).body.history)).toEqual([
      "05-inbound-answered",
      "02-internal-cancelled",
    ]);
    expect(
      scenariosOf((await get("1001", `?from=${new Date(from).toISOString()}&limit=1`)).body.history),
    ).toEqual(["09-directed-pickup"]);
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=1001", "limit"],
    ["?limit=ten", "limit"],
    ["?from=yesterday", "from"],
    ["?to=soon", "to"],
    ["?from=2000&to=1000", "from"],
    ["?missed=yes", "missed"],
    ["?user=", "user"],
    ["?call=x", "(body)"],
  ])("answers %s with 400 naming %s", async (query, field) => {
    const r = await get("1001", query);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("invalid-request");
    if (field !== "(body)") expect(r.body.problems.map((p: { field: string }) => p.field)).toContain(field);
    else expect(r.body.problems).toHaveLength(1);
  });

  it("is in /openapi.json with the parameters the route takes", async () => {
    const doc = (await h.request("GET", "/openapi.json")).body;
    const list = doc.paths["/v1/history"].get;
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      "from",
      "limit",
      "missed",
      "to",
      "user",
    ]);
    expect(list.responses["200"].content["application/json"].schema.properties.history.type).toBe("array");
  });
});

describe("the history store", () => {
  const logger = pino({ level: "silent" });

  it("keeps one row per call when two instances write the same calls", async () => {
    const { redis, prefix } = await testRedis();
    const text = readFileSync("callsight.example.yaml", "utf8");
    const instances = [0, 1].map(
      () =>
        new Callsight({
          config: parseConfig(text, "callsight.example.yaml", {}),
          redis,
          prefix,
          drivers: [],
          logger,
        }),
    );
    const start = Date.now() - 10 * MINUTE;
    const events = ["01-internal-answered", "09-directed-pickup", "15b-attended-transfer"].flatMap(
      (name, i) => trace(name, start + i * MINUTE),
    );
    // Both apply every event (as every instance does with the PBX's event stream), interleaved.
    for (const e of events) for (const cs of instances) cs.apply([e]);
    await Promise.all(instances.map((cs) => cs.historyRecorder.idle()));
    const k = historyKeys(prefix);
    expect(await redis.zcard(k.byDate)).toBe(3);
    const written = instances.reduce((n, cs) => n + cs.historyRecorder.counters.written, 0);
    const duplicates = instances.reduce((n, cs) => n + cs.historyRecorder.counters.duplicates, 0);
    expect([written, duplicates]).toEqual([3, 3]);
    expect(await redis.zcard(k.byUser("1003"))).toBe(2);
    const rows = await instances[0]!.history.list();
    expect(rows.map((r) => r.startedAt)).toEqual([start + 2 * MINUTE, start + MINUTE, start]);
    // Written at once by two writers: one wins.
    const store = new HistoryStore(redis, prefix, { retentionDays: 90 });
    const row: HistoryRow = { ...rows[0]!, id: "main:race", call: "race" };
    expect((await Promise.all([store.add(row), store.add({ ...row, talkMs: 1 })])).sort()).toEqual([
      false,
      true,
    ]);
    expect((await store.get("main:race"))?.talkMs).toBe(row.talkMs);
    redis.disconnect();
  });

  it("lists several users' rows merged newest first, each row once, across pages and filters", async () => {
    const { redis, prefix } = await testRedis();
    const now = Date.now();
    const store = new HistoryStore(redis, prefix, { retentionDays: 90, now: () => now });
    const users = ["1001", "1002", "1003", "1004"];
    const rows: HistoryRow[] = [];
    for (let i = 0; i < 150; i++) {
      // Each call has one or two of the users; some start at the same moment.
      const mine = [users[i % 4] as string, ...(i % 3 === 0 ? [users[(i + 1) % 4] as string] : [])];
      const startedAt = now - DAY_MS + Math.floor(i / 2) * 1000;
      rows.push({
        id: `main:c${String(i).padStart(3, "0")}`,
        pbx: "main",
        call: `c${String(i).padStart(3, "0")}`,
        direction: "internal",
        startedAt,
        endedAt: startedAt + 500,
        talkMs: i % 5 === 0 ? 0 : 400,
        answered: i % 5 !== 0,
        missed: i % 5 === 0,
        parties: mine.map((u) => ({ user: u, number: u, external: false })),
        pickups: [],
        transfers: [],
        recorded: false,
      });
    }
    for (const row of rows) await store.add(row);
    const newestFirst = (a: HistoryRow, b: HistoryRow) =>
      b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    const of = (wanted: string[]) =>
      rows.filter((r) => r.parties.some((p) => wanted.includes(p.user as string))).sort(newestFirst);
    const ids = (list: HistoryRow[]) => list.map((r) => r.id);
    expect(ids(await store.list({ users: ["1001", "1002"], limit: 50 }))).toEqual(
      ids(of(["1001", "1002"]).slice(0, 50)),
    );
    expect(ids(await store.list({ users: users, limit: 1000 }))).toEqual(ids(of(users)));
    expect(ids(await store.list({ limit: 1000 }))).toEqual(ids([...rows].sort(newestFirst)));
    // A filter that keeps few rows: the indexes are read on, page after page.
    const missed = await store.list({ users: ["1003", "1004"], limit: 7, where: (r) => r.missed });
    expect(ids(missed)).toEqual(
      ids(
        of(["1003", "1004"])
          .filter((r) => r.missed)
          .slice(0, 7),
      ),
    );
    const from = now - DAY_MS + 20_000;
    const to = now - DAY_MS + 40_000;
    expect(ids(await store.list({ users: ["1002"], from, to }))).toEqual(
      ids(of(["1002"]).filter((r) => r.startedAt >= from && r.startedAt <= to)),
    );
    redis.disconnect();
  });

  it("trims rows past the retention, with their index entries, and refuses rows already that old", async () => {
    const { redis, prefix } = await testRedis();
    const k = historyKeys(prefix);
    let now = Date.now();
    const store = new HistoryStore(redis, prefix, { retentionDays: 30, now: () => now });
    const events = trace("01-internal-answered", now);
    const cs = new Callsight({
      config: parseConfig(readFileSync("callsight.example.yaml", "utf8"), "x.yaml", {}),
      redis,
      prefix,
      drivers: [],
      logger,
    });
    let ended: HistoryRow | undefined;
    cs.onModelChange((changes) => {
      for (const c of changes) if (c.kind === "call-ended") ended = historyRow(c.call);
    });
    cs.apply(events);
    await cs.historyRecorder.idle();
    const template = ended as HistoryRow;
    const at = (id: string, startedAt: number): HistoryRow => ({
      ...template,
      id: `main:${id}`,
      call: id,
      startedAt,
    });
    expect(await store.add(at("old", now - 20 * DAY_MS))).toBe(true);
    expect(await store.add(at("new", now - DAY_MS))).toBe(true);
    expect(await store.add(at("too-old", now - 31 * DAY_MS))).toBe(false);
    // The row expires on its own a day after its retention, should no trim run.
    const ttl = await redis.pttl(k.row("main:old"));
    expect(ttl).toBeGreaterThan(10 * DAY_MS);
    expect(ttl).toBeLessThanOrEqual(11 * DAY_MS);
    expect((await store.list()).map((r) => r.call)).toEqual([template.call, "new", "old"]);

    now += 15 * DAY_MS; // "old" is 35 days old now
    expect(await store.trim(now, ["1001", "1002"])).toBe(1);
    expect((await store.list()).map((r) => r.call)).toEqual([template.call, "new"]);
    expect(await redis.exists(k.row("main:old"))).toBe(0);
    expect(await redis.zscore(k.byDate, "main:old")).toBeNull();
    expect(await redis.zscore(k.byUser("1001"), "main:old")).toBeNull();
    expect(await redis.zscore(k.byUser("1002"), "main:old")).toBeNull();
    expect(await redis.zcard(k.byUser("1001"))).toBe(2);
    // Trimming again removes nothing more.
    expect(await store.trim(now, ["1001", "1002"])).toBe(0);
    redis.disconnect();
  });
});
