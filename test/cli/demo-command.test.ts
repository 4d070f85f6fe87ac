// `callsight demo` (the README's first command): it starts the simulator and Callsight on the port PORT
// names, and prints working links — a board for an agent, a supervisor and an admin, and the admin
// console — whose tokens open exactly those people's views.

import { afterEach, describe, expect, it } from "vitest";
import { demoCommand } from "../../simulators/demo.js";
import type { CliIo } from "../../src/cli/io.js";
import { freePort } from "../../src/runtime/local-redis.js";
import { waitFor } from "../ami/helpers.js";

describe("callsight demo", () => {
  const saved = process.env.PORT;
  afterEach(() => {
    if (saved === undefined) delete process.env.PORT;
    else process.env.PORT = saved;
  });

  it("listens on PORT and prints board links for an agent, a supervisor and an admin, and the admin console", async () => {
    const port = await freePort();
    process.env.PORT = String(port);
    const lines: string[] = [];
    const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) };
    const done = demoCommand(["--duration", "6", "--quiet"], io);
    await waitFor(() => lines.some((l) => l.startsWith("Press Ctrl-C")), "the demo to start", 20_000);
    const links = lines.flatMap((l) => l.match(/http:\/\/\S+#token=\S+/g) ?? []);
    expect(
      links.every((l) => l.startsWith(`http://127.0.0.1:${port}/`)),
      lines.join("\n"),
    ).toBe(true);
    const tokenOf = (l: string) => l.slice(l.indexOf("#token=") + 7);
    const boards = links.filter((l) => !l.includes("/admin#"));
    const admin = links.find((l) => l.includes("/admin#"));
    expect(boards).toHaveLength(3);
    expect(admin).toBeDefined();

    const get = (path: string, token: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const roles: string[] = [];
    for (const link of boards) {
      const board = await get("/v1/board", tokenOf(link));
      expect(board.status).toBe(200);
      const view = (await board.json()) as { viewer: string; may: { listen: boolean } };
      const directory = await get("/v1/admin/directory", tokenOf(link));
      roles.push(directory.status === 200 ? "admin" : view.may.listen ? "supervisor" : "agent");
    }
    expect(roles.sort()).toEqual(["admin", "agent", "supervisor"]);
    expect((await get("/v1/admin/directory", tokenOf(admin as string))).status).toBe(200);
    for (const page of ["/", "/admin", "/board.js", "/admin.js"]) {
      expect((await fetch(`http://127.0.0.1:${port}${page}`)).status, page).toBe(200);
    }
    expect(await done).toBe(0);
  }, 30_000);
});
