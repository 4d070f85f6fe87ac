// What the admin console's daily sections read, on the real API and Redis: the PBX connections' state
// (GET /v1/admin/pbx), the audit log's filters (GET /v1/audit) and its export (GET /v1/audit/export, CSV
// and JSON), and the token API — administrators only, a bad filter a 400 naming the field.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCsv, csvCell } from "../../src/api/audit/csv.js";
import { AuditLog } from "../../src/stores/audit-log.js";
import { snapshotOf } from "../support/idle-driver.js";
import { type Harness, startHarness } from "./harness.js";
import { statusDriver } from "./status-driver.js";

/** RFC 4180 parsing, enough to read an export back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || row.length) throw new Error("the CSV does not end with CRLF");
  return rows;
}

describe("admin console: PBX connections, audit filters and export, tokens", () => {
  let h: Harness;
  let admin: string;
  let alice: string;
  let audit: AuditLog;
  const since = Date.UTC(2024, 4, 1, 12, 0, 0);
  const driver = statusDriver("main", {
    driver: "asterisk-ami",
    connected: true,
    since,
    reconnects: 2,
    lastError: "connect ECONNREFUSED 127.0.0.1:5038",
    malformedFrames: 7,
  });

  beforeAll(async () => {
    h = await startHarness({ drivers: [driver] });
    admin = await h.token("admin");
    alice = await h.token("1001");
    audit = new AuditLog(h.redis, h.prefix);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe("GET /v1/admin/pbx", () => {
    it("says each PBX's state: connected, since, last error, reconnects, malformed frames, last resync", async () => {
      const before = await h.request("GET", "/v1/admin/pbx", admin);
      expect(before.status).toBe(200);
      expect(before.body.pbx).toEqual([
        {
          pbx: "main",
          driver: "asterisk-ami",
          connected: true,
          since,
          reconnects: 2,
          lastError: "connect ECONNREFUSED 127.0.0.1:5038",
          malformedFrames: 7,
        },
      ]);
      expect(Math.abs(before.body.now - Date.now())).toBeLessThan(5000);

      driver.emit([snapshotOf(since + 1000, ["1001"])]);
      driver.current.connected = false;
      driver.current.reconnects = 3;
      const after = await h.request("GET", "/v1/admin/pbx", admin);
      expect(after.body.pbx[0]).toMatchObject({ connected: false, reconnects: 3, resyncedAt: since + 1000 });
      driver.current.connected = true;
    });

    it("is for administrators only", async () => {
      expect((await h.request("GET", "/v1/admin/pbx", alice)).status).toBe(403);
      expect((await h.request("GET", "/v1/admin/pbx", await h.token("1004"))).status).toBe(403);
      expect((await h.request("GET", "/v1/admin/pbx")).status).toBe(401);
    });
  });

  describe("GET /v1/audit filters", () => {
    let first: string;
    let last: string;
    beforeAll(async () => {
      // A change made through the API, and entries with what a CSV must escape.
      expect((await h.request("PATCH", "/v1/admin/users/1006", admin, { presence: true })).status).toBe(200);
      first = (
        await audit.append({
          actor: "1001",
          action: "listen",
          target: "1002",
          outcome: "refused",
          reason: 'said "no", twice',
        })
      ).id;
      await audit.append({
        actor: "1004",
        action: "pickup",
        target: "+15550100",
        outcome: "failed",
        reason: "line one\nline two",
        detail: { note: '=HYPERLINK("http://evil")' },
      });
      last = (
        await audit.append({
          actor: "callsight",
          action: "recording.repair",
          target: "call-1",
          outcome: "accepted",
        })
      ).id;
    });

    it("answers newest first with order=newest, oldest first by default; limit counts from that end", async () => {
      const newest = await h.request("GET", "/v1/audit?order=newest&limit=2", admin);
      expect(newest.status).toBe(200);
      expect(newest.body.entries.map((e: any) => e.action)).toEqual(["recording.repair", "pickup"]);
      const oldest = await h.request("GET", "/v1/audit?limit=1", admin);
      expect(oldest.body.entries[0].action).toBe("user.update");
    });

    it("pages through more entries than one read holds, newest first", async () => {
      for (let i = 0; i < 620; i++)
        await audit.append({ actor: "bulk", action: `bulk.${i}`, outcome: "allowed" });
      const r = await h.request("GET", "/v1/audit?actor=bulk&order=newest&limit=600", admin);
      expect(r.body.entries).toHaveLength(600);
      expect(r.body.entries.map((e: any) => e.action)).toEqual(
        Array.from({ length: 600 }, (_, i) => `bulk.${619 - i}`),
      );
      const all = await h.request("GET", "/v1/audit?actor=bulk&order=newest", admin);
      expect(all.body.entries).toHaveLength(620);
    });

    it("takes a time range in ms or ISO 8601, both ends included", async () => {
      const from = Number(first.split("-")[0]);
      const to = Number(last.split("-")[0]);
      const ms = await h.request("GET", `/v1/audit?since=${from}&until=${to}`, admin);
      const iso = await h.request(
        "GET",
        `/v1/audit?since=${new Date(from).toISOString()}&until=${encodeURIComponent(new Date(to).toISOString())}`,
        admin,
      );
      expect(ms.status).toBe(200);
      expect(ms.body.entries.map((e: any) => e.id)).toContain(first);
      expect(ms.body.entries.map((e: any) => e.id)).toContain(last);
      expect(ms.body.entries.every((e: any) => e.at >= from && e.at <= to)).toBe(true);
      expect(iso.body.entries).toEqual(ms.body.entries);
      const combined = await h.request("GET", `/v1/audit?actor=1001&outcome=refused&since=${from}`, admin);
      expect(combined.body.entries).toEqual([
        expect.objectContaining({ id: first, reason: 'said "no", twice' }),
      ]);
    });

    it("refuses a bad filter with a 400 naming the field", async () => {
      const cases: [string, string][] = [
        ["since=yesterday", "since"],
        ["until=2024-13-45", "until"],
        ["since=2024-05-02&until=2024-05-01", "since"],
        ["outcome=maybe", "outcome"],
        ["order=sideways", "order"],
        ["actor=", "actor"],
        ["limit=0", "limit"],
        ["limit=20000", "limit"],
        ["user=1001", ""],
      ];
      for (const [query, field] of cases) {
        const r = await h.request("GET", `/v1/audit?${query}`, admin);
        expect(r.status, query).toBe(400);
        expect(r.body.error).toBe("invalid-request");
        if (field)
          expect(
            r.body.problems.map((p: any) => p.field),
            query,
          ).toContain(field);
        else expect(r.body.message, query).toContain("user");
      }
      const reversed = await h.request("GET", "/v1/audit?since=2024-05-02&until=2024-05-01", admin);
      expect(reversed.body.message).toBe("since: must not be after until");
    });
  });

  describe("GET /v1/audit/export", () => {
    it("exports the filtered entries as CSV, escaped, with formulas neutralised", async () => {
      const res = await fetch(`${h.base}/v1/audit/export?format=csv&action=pickup`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="callsight-audit.csv"');
      const text = await res.text();
      const rows = parseCsv(text);
      expect(rows[0]).toEqual(["id", "time", "actor", "action", "target", "outcome", "reason", "detail"]);
      expect(rows).toHaveLength(2);
      const [id, time, actor, action, target, outcome, reason, detail] = rows[1]!;
      expect(id).toMatch(/^\d+-\d+$/);
      expect(time).toBe(new Date(Number(id!.split("-")[0])).toISOString());
      expect([actor, action, target, outcome, reason]).toEqual([
        "1004",
        "pickup",
        "'+15550100",
        "failed",
        "line one\nline two",
      ]);
      expect(JSON.parse(detail!)).toEqual({ note: '=HYPERLINK("http://evil")' });
      // The raw text: the quoted cells as RFC 4180 writes them.
      expect(text).toContain('"line one\nline two"');
      expect(text).toContain('"{""note"":""=HYPERLINK(\\""http://evil\\"")""}"');
    });

    it("quotes commas and quotes, and the default format is CSV", async () => {
      const r = await h.request("GET", "/v1/audit/export?actor=1001&outcome=refused", admin);
      expect(r.status).toBe(200);
      expect(r.text).toContain(',"said ""no"", twice",');
      expect(parseCsv(r.text)[1]![6]).toBe('said "no", twice');
    });

    it("exports JSON (and JSON lines) of the same entries as the query", async () => {
      const query = await h.request("GET", "/v1/audit?since=0&outcome=failed", admin);
      const json = await h.request("GET", "/v1/audit/export?format=json&since=0&outcome=failed", admin);
      expect(json.status).toBe(200);
      expect(json.body).toEqual(query.body.entries);
      const lines = await h.request("GET", "/v1/audit/export?format=jsonl&outcome=failed", admin);
      expect(
        lines.text
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
      ).toEqual(query.body.entries);
    });

    it("writes each export to the audit log", async () => {
      await h.request("GET", "/v1/audit/export?format=json&actor=1004", admin);
      const exports = await h.request("GET", "/v1/audit?action=audit.export&order=newest&limit=1", admin);
      expect(exports.body.entries[0]).toMatchObject({
        actor: "admin",
        outcome: "allowed",
        detail: { format: "json", filters: { actor: "1004" }, entries: 1 },
      });
    });

    it("is for administrators only, and refuses bad input naming the field", async () => {
      expect((await h.request("GET", "/v1/audit/export", alice)).status).toBe(403);
      expect((await h.request("GET", "/v1/audit/export?format=csv", await h.token("1004"))).status).toBe(403);
      expect((await h.request("GET", "/v1/audit/export")).status).toBe(401);
      const xml = await h.request("GET", "/v1/audit/export?format=xml", admin);
      expect(xml.status).toBe(400);
      expect(xml.body.problems[0].field).toBe("format");
      const until = await h.request("GET", "/v1/audit/export?until=soon", admin);
      expect(until.status).toBe(400);
      expect(until.body.problems[0]).toEqual({
        field: "until",
        message: expect.stringContaining("ISO 8601"),
      });
    });
  });

  describe("CSV cells", () => {
    it("quotes what must be quoted and neutralises formulas", () => {
      expect(csvCell("plain")).toBe("plain");
      expect(csvCell("a,b")).toBe('"a,b"');
      expect(csvCell('say "hi"')).toBe('"say ""hi"""');
      expect(csvCell("a\r\nb")).toBe('"a\r\nb"');
      expect(csvCell(" padded ")).toBe('" padded "');
      for (const start of ["=", "+", "-", "@", "\t", "\r", " ="]) {
        expect(csvCell(`${start}1+1`).replace(/^"/, "").startsWith("'")).toBe(true);
      }
      expect(csvCell("")).toBe("");
      expect(auditCsv([])).toBe("id,time,actor,action,target,outcome,reason,detail\r\n");
    });
  });

  describe("tokens", () => {
    it("issue, list (never the token), revoke: administrators only", async () => {
      const issued = await h.request("POST", "/v1/admin/tokens", admin, {
        user: "1002",
        label: "wallboard",
        expires: "30d",
      });
      expect(issued.status).toBe(201);
      const list = await h.request("GET", "/v1/admin/tokens?user=1002", admin);
      expect(list.body.tokens).toEqual([expect.objectContaining({ id: issued.body.id, label: "wallboard" })]);
      expect(list.text).not.toContain(issued.body.token);
      for (const [method, path, body] of [
        ["GET", "/v1/admin/tokens", undefined],
        ["POST", "/v1/admin/tokens", { user: "1001" }],
        ["DELETE", `/v1/admin/tokens/${issued.body.id}`, undefined],
      ] as const) {
        expect((await h.request(method, path, alice, body)).status, `${method} ${path}`).toBe(403);
      }
      expect((await h.request("DELETE", `/v1/admin/tokens/${issued.body.id}`, admin)).status).toBe(204);
      expect((await h.request("GET", "/v1/me", issued.body.token)).status).toBe(401);
      expect((await h.request("DELETE", `/v1/admin/tokens/${issued.body.id}`, admin)).status).toBe(404);
    });

    it("refuses bad input naming the field", async () => {
      const expires = await h.request("POST", "/v1/admin/tokens", admin, { user: "1002", expires: "soon" });
      expect(expires.status).toBe(400);
      expect(expires.body.problems[0].field).toBe("expires");
      const nobody = await h.request("POST", "/v1/admin/tokens", admin, { user: "nobody" });
      expect(nobody.status).toBe(404);
      expect(nobody.body.problems[0].field).toBe("user");
    });
  });

  it("the OpenAPI document lists the new routes with their parameters", async () => {
    const doc = (await h.request("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/admin/pbx", "/v1/audit/export"]));
    const names = (path: string) => doc.paths[path].get.parameters.map((p: any) => p.name);
    expect(names("/v1/audit/export")).toEqual(
      expect.arrayContaining(["actor", "action", "target", "outcome", "since", "until", "order", "format"]),
    );
    expect(names("/v1/audit")).toContain("order");
  });
});
