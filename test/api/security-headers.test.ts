// The header guard: every route the server declares (enumerated from the server itself, so a route added
// later is covered without touching this test), asked without a token, with a wrong one and as an
// administrator, and paths nobody declared, all answer with the security headers — 200s, 400s, 401s, 403s
// and 404s alike.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.js";

interface Answer {
  status: number;
  headers: Headers;
}

function expectSecurityHeaders(what: string, res: Answer): void {
  const h = res.headers;
  const csp = h.get("content-security-policy") ?? "";
  expect(csp, `${what} (${res.status}): content-security-policy`).toContain("default-src 'self'");
  expect(csp, `${what} (${res.status}): content-security-policy`).toContain("frame-ancestors 'none'");
  expect(h.get("x-content-type-options"), `${what} (${res.status})`).toBe("nosniff");
  expect(h.get("x-frame-options"), `${what} (${res.status})`).toBe("DENY");
  expect(h.get("referrer-policy"), `${what} (${res.status})`).toBe("no-referrer");
}

/** A concrete path for a route: parameters filled with an id nobody has. */
function pathOf(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, "nobody").replace(/\*$/, "nobody");
}

describe("security headers on every response", () => {
  let h: Harness;

  beforeAll(async () => {
    // A failure limit above what asking every route with a wrong token adds up to: the administrator's
    // requests must get their own answers (200, 400, 404), not the 429 of an address over the limit,
    // however many routes the server declares.
    h = await startHarness({ auth: { failureLimit: 10_000, failureWindowSeconds: 60 } });
  });

  afterAll(async () => {
    await h?.close();
  });

  async function ask(method: string, path: string, token?: string): Promise<Answer> {
    const withBody = method !== "GET" && method !== "HEAD" && method !== "DELETE";
    const res = await fetch(`${h.base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(withBody ? { "content-type": "application/json" } : {}),
      },
      ...(withBody ? { body: "{}" } : {}),
    });
    await res.arrayBuffer();
    return { status: res.status, headers: res.headers };
  }

  it("enumerates the server's routes, pages and API alike", () => {
    const urls = h.api.routes.map((r) => `${r.method} ${r.url}`);
    for (const r of [
      "GET /",
      "GET /admin",
      "GET /board.js",
      "GET /v1/board",
      "GET /v1/stream",
      "GET /healthz",
    ])
      expect(urls).toContain(r);
    expect(urls.filter((u) => u.includes(" /v1/")).length).toBeGreaterThan(10);
  });

  it("every route, without a token, with a wrong one and as an administrator", async () => {
    const admin = await h.token("admin");
    const statuses = new Set<number>();
    for (const { method, url } of h.api.routes) {
      const path = pathOf(url);
      for (const [who, token] of [
        ["no token", undefined],
        ["wrong token", "cs_wrong"],
        ["admin", admin],
      ] as const) {
        const res = await ask(method, path, token);
        statuses.add(res.status);
        expectSecurityHeaders(`${method} ${path} (${who})`, res);
        // 401, or 429 once the wrong tokens reach the failed-authentication limit.
        if (url.startsWith("/v1/") && who !== "admin")
          expect([401, 429], `${method} ${path}`).toContain(res.status);
      }
    }
    // The guard saw successes and refusals alike.
    for (const s of [200, 400, 401, 404]) expect([...statuses]).toContain(s);
  }, 60_000);

  it("paths no route declares: 404 with the headers", async () => {
    for (const path of ["/nowhere", "/v1/nowhere", "/admin/nowhere", "/v1/admin/nowhere/deeper"]) {
      const res = await ask("GET", path, await h.token("admin"));
      expect(res.status, path).toBe(404);
      expectSecurityHeaders(path, res);
    }
    const post = await ask("POST", "/v1/nowhere");
    expect([401, 404]).toContain(post.status);
    expectSecurityHeaders("POST /v1/nowhere", post);
  });

  it("a malformed JSON body: 400 with the headers", async () => {
    const res = await fetch(`${h.base}/v1/admin/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${await h.token("admin")}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expectSecurityHeaders("POST /v1/admin/users with a malformed body", res);
  });
});
