// While Redis cannot be reached every /v1 route answers 503 with the reason (its bearer token is checked
// in Redis first) — the board, operations, the admin API and the audit log alike, never a 500 — and the
// ops endpoints keep answering.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedDriver } from "../cluster/helpers.js";
import { type Harness, startHarness } from "./harness.js";

describe("/v1 while Redis cannot be reached", () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({ drivers: [new ScriptedDriver("main")] });
    admin = await h.token("admin");
    // Issued while Redis was there: it is a valid token.
    expect((await h.request("GET", "/v1/me", admin)).status).toBe(200);
    h.redis.disconnect();
  });
  afterAll(async () => {
    await h?.close().catch(() => undefined);
  });

  const asks: [string, string, string, unknown?][] = [
    ["GET", "/v1/me", "the API"],
    ["GET", "/v1/board", "the board"],
    ["POST", "/v1/operations/pickup", "the operation", { target: "1002" }],
    ["GET", "/v1/admin/users", "the admin API"],
    ["PATCH", "/v1/admin/users/1002", "the admin API", { recording: "all" }],
    ["POST", "/v1/admin/tokens", "the admin API", { user: "1002" }],
    ["GET", "/v1/audit?limit=5", "the audit log"],
  ];

  for (const [method, path, area, body] of asks) {
    it(`${method} ${path}: 503 naming ${area} and Redis`, async () => {
      const res = await h.request(method, path, admin, body);
      expect(res.status, res.text).toBe(503);
      expect(res.body).toMatchObject({
        error: "unavailable",
        message: expect.stringMatching(new RegExp(`^${area} is unavailable: Redis cannot be reached`)),
      });
    });
  }

  it("a request without a token is still a 401 (nothing to look up)", async () => {
    expect((await h.request("GET", "/v1/board")).status).toBe(401);
  });

  it("/readyz says why it is not ready", async () => {
    const res = await h.request("GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body.problems.join("; ")).toMatch(/redis: /);
  });
});
