// Playing and downloading recordings through the API (src/api/recordings/audio.ts), on a real server, Redis
// and store: a viewer gets a short-lived link for one recording from an authenticated POST, and the audio on
// it with HTTP Range (the bytes of each answer are the stored file's). The same access rule as the list —
// a recording the viewer may not see answers exactly like an unknown id — and no answer names anything the
// viewer may not see. Every play and download is one audit entry, however many ranges the player asks for.
// Admins list a department's recordings.

import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byteRange, GRANT_IDLE_MS, GRANT_MAX_MS } from "../../src/api/recordings/audio.js";
import { CALLER, type RecordingsServer, startRecordingsServer, user } from "./recordings-server.js";

describe("byteRange", () => {
  it("reads one byte range, and ignores what is not one", () => {
    expect(byteRange(undefined, 100)).toEqual({ kind: "full" });
    expect(byteRange("bytes=0-9", 100)).toEqual({ kind: "partial", start: 0, end: 9 });
    expect(byteRange("bytes=90-", 100)).toEqual({ kind: "partial", start: 90, end: 99 });
    expect(byteRange("bytes=-10", 100)).toEqual({ kind: "partial", start: 90, end: 99 });
    expect(byteRange("bytes=-500", 100)).toEqual({ kind: "partial", start: 0, end: 99 });
    expect(byteRange("bytes=50-5000", 100)).toEqual({ kind: "partial", start: 50, end: 99 });
    expect(byteRange("bytes=100-", 100)).toEqual({ kind: "unsatisfiable" });
    expect(byteRange("bytes=-0", 100)).toEqual({ kind: "unsatisfiable" });
    expect(byteRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    // Ignored (RFC 9110 allows it): the whole file is sent.
    for (const header of ["bytes=9-1", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=-", "0-9"]) {
      expect(byteRange(header, 100), header).toEqual({ kind: "full" });
    }
  });
});

describe("recording playback API", () => {
  let s: RecordingsServer;
  let clock = Date.now();
  /** Alice's inbound call (Sales). */
  let alice: { id: string; bytes: Buffer };
  /** Dave's call (Support). */
  let dave: { id: string; bytes: Buffer };
  /** Dave (a supervisor) recorded Bob's call on demand; Bob does not show his calls. */
  let bobsCall: { id: string; bytes: Buffer };
  const BOB_CALL_ID = "1714564800.bob";

  beforeAll(async () => {
    s = await startRecordingsServer({ grants: { now: () => clock } });
    alice = await s.record({}, 1000);
    dave = await s.record(
      {
        extension: "1004",
        leg: "PJSIP/1004-00000001",
        parties: [CALLER, user("1004", "Dave Support")],
        requiredBy: ["1004"],
      },
      500,
    );
    bobsCall = await s.record(
      {
        callId: BOB_CALL_ID,
        extension: "1002",
        leg: "PJSIP/1002-00000001",
        parties: [CALLER, user("1002", "Bob Sales")],
        requiredBy: [],
        onDemandBy: "1004",
      },
      300,
    );
  }, 30_000);

  afterAll(async () => {
    await s?.close();
  });

  const post = async (who: string, id: string, what: "play" | "download") =>
    s.request("POST", `/v1/recordings/${id}/${what}`, { token: await s.token(who) });
  const link = async (who: string, id: string, what: "play" | "download" = "play"): Promise<string> => {
    const r = await post(who, id, what);
    expect(r.status, r.text).toBe(200);
    return r.body.url as string;
  };
  const audits = (action?: string) =>
    s.audit
      .query(action ? { action } : {})
      .then((all) => all.filter((e) => e.action.startsWith("recording.")));

  it("plays on a link: the whole file without Range, the right bytes for each range", async () => {
    const url = await link("1001", alice.id);
    expect(url).toMatch(new RegExp(`^/v1/recordings/${alice.id}/audio\\?grant=[A-Za-z0-9_-]{43}$`));
    const size = alice.bytes.length;

    const whole = await s.request("GET", url);
    expect(whole.status).toBe(200);
    expect(whole.bytes.equals(alice.bytes)).toBe(true);
    expect(whole.headers.get("content-type")).toBe("audio/wav");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-length")).toBe(String(size));
    expect(whole.headers.get("content-disposition")).toBeNull();
    expect(whole.headers.get("etag")).toMatch(/^"[0-9a-f]{32}-[0-9a-f]+"$/);
    expect(Date.parse(whole.headers.get("last-modified") ?? "")).not.toBeNaN();
    // Served outside the token's scope, still with every security header.
    expect(whole.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(whole.headers.get("x-content-type-options")).toBe("nosniff");
    expect(whole.headers.get("cache-control")).toBe("private, no-store");

    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=100-", 100, size - 1],
      ["bytes=-50", size - 50, size - 1],
      ["bytes=1000-99999999", 1000, size - 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await s.request("GET", url, { headers: { range } });
      expect(r.status, range).toBe(206);
      expect(r.headers.get("content-range"), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(r.headers.get("content-length"), range).toBe(String(end - start + 1));
      expect(r.bytes.equals(alice.bytes.subarray(start, end + 1)), range).toBe(true);
    }

    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, "bytes=-0"]) {
      const r = await s.request("GET", url, { headers: { range } });
      expect(r.status, range).toBe(416);
      expect(r.headers.get("content-range"), range).toBe(`bytes */${size}`);
    }
    // Not one byte range: ignored, the whole file.
    const several = await s.request("GET", url, { headers: { range: "bytes=0-1,5-6" } });
    expect(several.status).toBe(200);
    expect(several.bytes.equals(alice.bytes)).toBe(true);

    // If-Range: the range only for the representation the client has.
    const etag = whole.headers.get("etag")!;
    const same = await s.request("GET", url, { headers: { range: "bytes=0-9", "if-range": etag } });
    expect(same.status).toBe(206);
    const other = await s.request("GET", url, { headers: { range: "bytes=0-9", "if-range": '"other"' } });
    expect(other.status).toBe(200);
    expect(other.bytes.equals(alice.bytes)).toBe(true);
    expect((await s.request("GET", url, { headers: { "if-none-match": etag } })).status).toBe(304);

    const head = await s.request("HEAD", url);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(size));
    expect(head.bytes.length).toBe(0);
  });

  it("writes one audit entry per play or download, not one per range request", async () => {
    const before = (await audits()).length;
    const url = await link("1001", alice.id);
    for (const range of ["bytes=0-", "bytes=0-1023", "bytes=4096-", "bytes=-100"]) {
      expect((await s.request("GET", url, { headers: { range } })).status).toBe(206);
    }
    const download = await link("1001", alice.id, "download");
    expect((await s.request("GET", download)).status).toBe(200);
    const entries = (await audits()).slice(before);
    expect(entries).toEqual([
      expect.objectContaining({
        actor: "1001",
        action: "recording.play",
        target: `recording:${alice.id}`,
        outcome: "allowed",
      }),
      expect.objectContaining({
        actor: "1001",
        action: "recording.download",
        target: `recording:${alice.id}`,
        outcome: "allowed",
      }),
    ]);
  });

  it("downloads as an attachment whose name says nothing the viewer may not see", async () => {
    const r = await post("1004", bobsCall.id, "download");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["expiresAt", "fileName", "url"]);
    expect(r.body.url).toMatch(/&download=1$/);
    const got = await s.request("GET", r.body.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bobsCall.bytes)).toBe(true);
    expect(got.headers.get("content-disposition")).toBe(`attachment; filename="${r.body.fileName}"`);
    expect(r.body.fileName).toMatch(/^callsight-recording-2024-05-01-\d{6}Z-[A-Za-z0-9_-]+\.wav$/);
    // Dave sees Bob's recording without its details: nothing in any answer names them.
    const listed = await s.request("GET", "/v1/recordings", { token: await s.token("1004") });
    const seen = listed.body.recordings.find((x: { id: string }) => x.id === bobsCall.id);
    expect(seen.parties).toBeUndefined();
    expect(seen.callId).toBeUndefined();
    const everything = [
      JSON.stringify(r.body),
      JSON.stringify([...got.headers]),
      JSON.stringify((await post("1004", bobsCall.id, "play")).body),
    ].join("\n");
    for (const hidden of [
      BOB_CALL_ID,
      "Bob Sales",
      "PJSIP/1002",
      "-1002",
      CALLER.number!,
      CALLER.name!,
      s.store.root,
      "spool-",
    ]) {
      expect(everything).not.toContain(hidden);
    }
  });

  it("a viewer who may not see a recording gets what an unknown id gets; an admin gets it", async () => {
    const hidden = await post("1002", alice.id, "play");
    const unknown = await post("1002", "AAAAAAAAAAAAAAAAAAAAAAAA", "play");
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(hidden.text).toBe(unknown.text);
    expect((await post("1002", alice.id, "download")).text).toBe(unknown.text);
    const refused = await audits("recording.play");
    expect(refused.filter((e) => e.actor === "1002")).toEqual([
      expect.objectContaining({ target: `recording:${alice.id}`, outcome: "refused", reason: "not-found" }),
      expect.objectContaining({ target: "recording:AAAAAAAAAAAAAAAAAAAAAAAA", outcome: "refused" }),
    ]);

    const admin = await s.request("GET", await link("admin", alice.id));
    expect(admin.status).toBe(200);
    expect(admin.bytes.equals(alice.bytes)).toBe(true);
    // Without a token, no link.
    expect((await s.request("POST", `/v1/recordings/${alice.id}/play`)).status).toBe(401);
  });

  it("refuses a link for another recording, for the other purpose, unknown, or without one — alike", async () => {
    const url = await link("1001", alice.id);
    const grant = new URL(url, s.base).searchParams.get("grant")!;
    const refusals = [
      `/v1/recordings/${dave.id}/audio?grant=${grant}`,
      `/v1/recordings/AAAAAAAAAAAAAAAAAAAAAAAA/audio?grant=${grant}`,
      `/v1/recordings/${alice.id}/audio?grant=${"x".repeat(43)}`,
      `${url}&download=1`,
    ];
    const answers = await Promise.all(refusals.map((u) => s.request("GET", u)));
    for (const a of answers) expect(a.status).toBe(401);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    // The bearer token is no way around the link (and never goes into a URL).
    const bare = await s.request("GET", `/v1/recordings/${alice.id}/audio`, { token: await s.token("1001") });
    expect(bare.status).toBe(401);
    expect(bare.body.message).toMatch(/POST \/v1\/recordings\/\{id\}\/play/);
    // A download link is not a play link either.
    const download = await link("1001", alice.id, "download");
    expect((await s.request("GET", download.replace("&download=1", ""))).status).toBe(401);
    // Dave's own link plays Dave's recording.
    expect((await s.request("GET", await link("1004", dave.id))).bytes.equals(dave.bytes)).toBe(true);
  });

  it("a link expires when left unused, and at the latest some hours after it was issued", async () => {
    const start = clock;
    try {
      const idle = await link("1001", alice.id);
      clock += GRANT_IDLE_MS + 1;
      expect((await s.request("GET", idle)).status).toBe(401);

      // In use, it lives on (a long recording plays to its end)…
      const used = await link("1001", alice.id);
      for (let i = 0; i < 5; i++) {
        clock += GRANT_IDLE_MS * 0.8;
        expect((await s.request("GET", used, { headers: { range: "bytes=0-9" } })).status).toBe(206);
      }
      // …but not past its maximum.
      const capped = await link("1001", alice.id);
      const deadline = clock + GRANT_MAX_MS;
      while (clock + GRANT_IDLE_MS * 0.8 < deadline) {
        clock += GRANT_IDLE_MS * 0.8;
        expect((await s.request("GET", capped, { headers: { range: "bytes=0-9" } })).status).toBe(206);
      }
      clock = deadline + 1;
      expect((await s.request("GET", capped, { headers: { range: "bytes=0-9" } })).status).toBe(401);
    } finally {
      clock = start;
    }
  }, 30_000);

  it("revoking the token ends its links", async () => {
    const issued = await s.tokens.issue("1001");
    const r = await s.request("POST", `/v1/recordings/${alice.id}/play`, { token: issued.token });
    expect((await s.request("GET", r.body.url, { headers: { range: "bytes=0-9" } })).status).toBe(206);
    await s.tokens.revoke(issued.info.id);
    expect((await s.request("GET", r.body.url, { headers: { range: "bytes=0-9" } })).status).toBe(401);
  });

  it("a recording whose audio is gone answers 404 without naming the store", async () => {
    const gone = await s.record({}, 200);
    const url = await link("1001", gone.id);
    const metadata = await s.index.get(gone.id);
    await unlink(join(s.store.root, metadata!.file));
    const r = await s.request("GET", url);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain(s.store.root);
    expect(r.text).not.toContain(".wav");
  });

  it("lists a department's recordings for admins; anyone else, or an unknown department, gets a 400 naming it", async () => {
    const admin = await s.token("admin");
    const ids = async (q: string) =>
      (await s.request("GET", `/v1/recordings?${q}`, { token: admin })).body.recordings.map(
        (r: { id: string }) => r.id,
      );
    const support = await ids("department=support");
    expect(support.sort()).toEqual([dave.id, bobsCall.id].sort());
    const sales = await ids("department=sales");
    expect(sales).toContain(alice.id);
    expect(sales).toContain(bobsCall.id);
    expect(sales).not.toContain(dave.id);
    expect(await ids("department=support&user=1004")).toEqual(expect.arrayContaining([dave.id]));

    const unknown = await s.request("GET", "/v1/recordings?department=nope", { token: admin });
    expect(unknown.status).toBe(400);
    expect(unknown.body.problems).toEqual([{ field: "department", message: "no such department" }]);
    const agent = await s.request("GET", "/v1/recordings?department=sales", { token: await s.token("1001") });
    expect(agent.status).toBe(400);
    expect(agent.body.problems).toEqual([
      { field: "department", message: expect.stringMatching(/administrators/) },
    ]);
  });
});
