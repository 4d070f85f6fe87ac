// Cross-site WebSocket hijacking: the board's stream is opened only from an allowed Origin — by default the
// server's own (the request's Host), or the origins `http.allowedOrigins` lists. A request without an Origin
// (not a browser) is let through to the token check; any other Origin gets a 403 before the upgrade.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, parseConfig } from "../../src/config/load.js";
import { type Harness, startHarness } from "./harness.js";

type Outcome =
  | { opened: true; first: any }
  | { opened: false; status: number; body: string; closedByServer: boolean };

/** Opens the stream with these headers: the first message, or the refusal before the upgrade. */
function openStream(h: Harness, token: string, headers: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.base.replace("http", "ws")}/v1/stream?access_token=${token}`, { headers });
    ws.once("message", (data) => {
      resolve({ opened: true, first: JSON.parse(String(data)) });
      ws.close();
    });
    ws.once("unexpected-response", (req, res) => {
      const socket = req.socket ?? res.socket;
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => {
        // The server ends a refused upgrade's connection itself (nothing left holding a socket).
        const timer = setTimeout(() => done(false), 2000);
        const done = (closedByServer: boolean) => {
          clearTimeout(timer);
          req.destroy();
          resolve({ opened: false, status: res.statusCode ?? 0, body, closedByServer });
        };
        if (!socket || socket.destroyed) done(true);
        else socket.once("close", () => done(true));
      });
    });
    ws.once("error", (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

const EXAMPLE = readFileSync("callsight.example.yaml", "utf8");

describe("WebSocket Origin check, default: the request's own origin", () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    token = await h.token("1001");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("no Origin (not a browser): opens", async () => {
    const out = await openStream(h, token, {});
    expect(out).toMatchObject({ opened: true, first: { type: "snapshot" } });
  });

  it("the page's own origin (same as Host): opens", async () => {
    const out = await openStream(h, token, { origin: h.base });
    expect(out).toMatchObject({ opened: true, first: { type: "snapshot" } });
  });

  it.each([
    ["another site", "http://evil.example"],
    ["the same host on another port", "http://127.0.0.1:1"],
    ["another scheme's default port", "https://127.0.0.1"],
    ["an opaque origin", "null"],
  ])("%s: 403 before the upgrade, naming the origin", async (_what, origin) => {
    const out = await openStream(h, token, { origin });
    expect(out).toMatchObject({ opened: false, status: 403, closedByServer: true });
    if (!out.opened) expect(JSON.parse(out.body)).toMatchObject({ error: "forbidden" });
    if (!out.opened) expect(JSON.parse(out.body).message).toContain(origin);
  });

  it("a refused origin is refused before the token is even looked at", async () => {
    const out = await openStream(h, "cs_wrong", { origin: "http://evil.example" });
    expect(out).toMatchObject({ opened: false, status: 403 });
  });
});

describe("WebSocket Origin check with http.allowedOrigins", () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness({
      config: `${EXAMPLE}\nhttp:\n  allowedOrigins: ["https://Board.Example.com:443", "http://10.0.0.5:8080"]\n`,
    });
    token = await h.token("1001");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("a listed origin opens (compared as origins: case and default port do not matter)", async () => {
    for (const origin of ["https://board.example.com", "http://10.0.0.5:8080"]) {
      expect(await openStream(h, token, { origin }), origin).toMatchObject({ opened: true });
    }
  });

  it("only the listed origins: the server's own Host is not added", async () => {
    expect(await openStream(h, token, { origin: h.base })).toMatchObject({ opened: false, status: 403 });
    expect(await openStream(h, token, { origin: "http://board.example.com" })).toMatchObject({
      opened: false,
      status: 403,
    });
  });

  it("no Origin still opens", async () => {
    expect(await openStream(h, token, {})).toMatchObject({ opened: true });
  });
});

describe("http.allowedOrigins in callsight.yaml", () => {
  const problems = (value: string): string[] => {
    try {
      parseConfig(`${EXAMPLE}\nhttp:\n  allowedOrigins: ${value}\n`, "callsight.yaml", {});
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it("takes origins: a scheme, a host and an optional port", () => {
    expect(
      problems('["https://callsight.example.com", "http://[::1]:8080", "http://10.0.0.5:8080"]'),
    ).toEqual([]);
    expect(parseConfig(EXAMPLE, "callsight.yaml", {}).http.allowedOrigins).toBeUndefined();
  });

  it.each([
    ['["https://callsight.example.com/"]', "http.allowedOrigins[0]"],
    ['["callsight.example.com"]', "http.allowedOrigins[0]"],
    ['["https://a.example", "ftp://b.example"]', "http.allowedOrigins[1]"],
    ['["*"]', "http.allowedOrigins[0]"],
    ['["https://a.example:99999"]', "http.allowedOrigins[0]"],
    ['"https://a.example"', "http.allowedOrigins"],
  ])("refuses %s, naming %s", (value, where) => {
    const found = problems(value);
    expect(
      found.some((p) => p.startsWith(`${where}:`)),
      found.join("\n"),
    ).toBe(true);
  });
});
