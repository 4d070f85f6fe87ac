// EslConnection on real sockets against a scripted server: auth, the subscription, api replies in
// order, bgapi with our own Job-UUID, pending work failing at once on a drop, keep-alive, and the
// ordering of events around a reply.

import { afterEach, describe, expect, it } from "vitest";
import {
  ESL_CONNECTION_LOST,
  EslAuthError,
  EslConnection,
  type EslConnectionHandlers,
} from "../../src/pbx/freeswitch-esl/connection.js";
import { ESL_EVENTS } from "../../src/pbx/freeswitch-esl/driver.js";
import { ESL_EVENT_INTEREST } from "../../src/pbx/freeswitch-esl/event-interest.js";
import type { EslEvent } from "../../src/pbx/freeswitch-esl/frame-parser.js";
import { sleep, waitFor } from "../ami/helpers.js";
import { apiResponse, type FakeEsl, fakeEsl, jsonEvent, reply } from "./helpers.js";

const open: { fake: FakeEsl; conn?: EslConnection }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.conn?.destroy();
    await o.fake.close();
  }
});

async function setup(handlers: Partial<EslConnectionHandlers> = {}, options = {}) {
  const fake = await fakeEsl();
  const entry: { fake: FakeEsl; conn?: EslConnection } = { fake };
  open.push(entry);
  const events: EslEvent[] = [];
  const closed: Error[] = [];
  const connect = () =>
    EslConnection.connect(
      {
        host: "127.0.0.1",
        port: fake.port,
        password: "pw",
        events: ESL_EVENTS,
        pingIntervalMs: 0,
        ...options,
      },
      {
        events: (batch) => events.push(...batch),
        closed: (reason) => closed.push(reason),
        ...handlers,
      },
    ).then((c) => {
      entry.conn = c;
      return c;
    });
  return { fake, events, closed, connect };
}

describe("EslConnection", () => {
  it("authenticates and subscribes to the listed events (not ALL) in json", async () => {
    const { fake, connect } = await setup();
    await connect();
    expect(fake.commands.map((c) => c.command)).toEqual(["auth pw", `event json ${ESL_EVENTS.join(" ")}`]);
    expect(fake.commands[1]?.command).toContain(
      "CUSTOM sofia::register sofia::unregister sofia::expire valet_parking::info",
    );
    expect(fake.commands[1]?.command).not.toMatch(/ ALL( |$)/);
  });

  it("a wrong password is an EslAuthError carrying FreeSWITCH's reply", async () => {
    const { fake, connect } = await setup();
    fake.handler = (command, _h, socket) => {
      if (!command.startsWith("auth ")) return undefined;
      const notice = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
      socket.write(reply("-ERR invalid"));
      socket.end(`Content-Type: text/disconnect-notice\nContent-Length: ${notice.length}\n\n${notice}`);
      return undefined;
    };
    const err = await connect().catch((e: Error) => e);
    expect(err).toBeInstanceOf(EslAuthError);
    expect((err as Error).message).toBe("ESL auth failed: -ERR invalid");
  });

  it("an ACL rejection (text/rude-rejection) is an EslAuthError too", async () => {
    const fake = await fakeEsl();
    open.push({ fake });
    const server = fake.connections;
    fake.handler = () => undefined;
    const p = EslConnection.connect(
      { host: "127.0.0.1", port: fake.port, password: "pw", pingIntervalMs: 0, connectTimeoutMs: 2000 },
      { events: () => undefined },
    ).catch((e: Error) => e);
    await waitFor(() => server.length === 1, "connection");
    const text = "Access Denied, go away.\n";
    server[0]?.end(`Content-Type: text/rude-rejection\nContent-Length: ${text.length}\n\n${text}`);
    const err = await p;
    expect(err).toBeInstanceOf(EslAuthError);
    expect((err as Error).message).toBe("ESL connection refused by FreeSWITCH: Access Denied, go away.");
  });

  it("api replies are matched in order; -ERR bodies come back as they are", async () => {
    const { fake, connect } = await setup();
    // FreeSWITCH runs a connection's commands one after the other: the second reply follows the first.
    fake.handler = (command, headers, socket) => {
      if (command === "api slow") return undefined;
      if (command === "api no_such_command") {
        setTimeout(
          () =>
            socket.write(apiResponse("first\n") + apiResponse("-ERR no_such_command Command not found!\n")),
          30,
        );
        return undefined;
      }
      return fakeDefault(command, headers);
    };
    const conn = await connect();
    const [a, b] = await Promise.all([conn.api("slow"), conn.api("no_such_command")]);
    expect(a).toBe("first\n");
    expect(b).toBe("-ERR no_such_command Command not found!\n");
    await expect(conn.api("status\napi hupall")).rejects.toThrow(/line break/);
  });

  it("bgapi sends our Job-UUID and resolves with the matching BACKGROUND_JOB only", async () => {
    const { fake, events, connect } = await setup();
    fake.handler = (command, headers, socket) => {
      if (!command.startsWith("bgapi ")) return fakeDefault(command, headers);
      const job = headers["Job-UUID"] ?? "";
      setTimeout(() => {
        socket.write(
          jsonEvent({ "Event-Name": "BACKGROUND_JOB", "Job-UUID": "someone-elses", _body: "+OK other\n" }),
        );
        socket.write(jsonEvent({ "Event-Name": "CHANNEL_ANSWER", "Unique-ID": "u1" }));
        socket.write(jsonEvent({ "Event-Name": "BACKGROUND_JOB", "Job-UUID": job, _body: "+OK 7391a800\n" }));
      }, 20);
      return reply(`+OK Job-UUID: ${job}`, `Job-UUID: ${job}\n`);
    };
    const conn = await connect();
    const job = conn.bgapi("originate user/1003 &intercept(x)");
    expect(await job.accepted).toBe(`+OK Job-UUID: ${job.jobUuid}`);
    expect(fake.commands.at(-1)).toMatchObject({
      command: "bgapi originate user/1003 &intercept(x)",
      headers: { "Job-UUID": job.jobUuid },
    });
    expect(await job.result).toBe("+OK 7391a800\n");
    // Job results are not events; other events are.
    expect(events.map((e) => e["Event-Name"])).toEqual(["CHANNEL_ANSWER"]);
  });

  it("a job's result reaches it also when the connection skips what translate() ignores (BACKGROUND_JOB is one)", async () => {
    const { fake, connect } = await setup({}, { interest: ESL_EVENT_INTEREST });
    fake.handler = (command, headers, socket) => {
      if (!command.startsWith("bgapi ")) return fakeDefault(command, headers);
      const job = headers["Job-UUID"] ?? "";
      setTimeout(
        () =>
          socket.write(
            jsonEvent({ "Event-Name": "BACKGROUND_JOB", "Job-UUID": job, _body: "+OK f73dd610\n" }),
          ),
        20,
      );
      return reply(`+OK Job-UUID: ${job}`, `Job-UUID: ${job}\n`);
    };
    const conn = await connect();
    const job = conn.bgapi("originate {origination_caller_id_number=1001}user/1001 1002 XML default");
    await job.accepted;
    expect(await job.result).toBe("+OK f73dd610\n");
  });

  it("pending commands and jobs fail at once when the connection drops, and are never sent again", async () => {
    const { fake, closed, connect } = await setup();
    // A FreeSWITCH busy with a blocking `api originate`: nothing after it is answered.
    fake.handler = (command, headers) => {
      if (command.startsWith("api originate") || command.startsWith("bgapi ")) return undefined;
      return fakeDefault(command, headers);
    };
    const conn = await connect();
    const api = conn.api("originate user/1004 &eavesdrop(x)").catch((e: Error) => e);
    const job = conn.bgapi("originate user/1004 &eavesdrop(y)");
    const accepted = job.accepted.catch((e: Error) => e);
    const result = job.result.catch((e: Error) => e);
    await waitFor(() => fake.commands.some((c) => c.command.startsWith("bgapi")), "bgapi sent");
    // The api, the bgapi acknowledgement and the job.
    expect(conn.pendingCount).toBe(3);
    const dropped = Date.now();
    fake.connections[0]?.destroy();
    expect(((await api) as Error).message).toBe(ESL_CONNECTION_LOST);
    expect(((await accepted) as Error).message).toBe(ESL_CONNECTION_LOST);
    expect(((await result) as Error).message).toBe(ESL_CONNECTION_LOST);
    expect(Date.now() - dropped).toBeLessThan(500);
    expect(closed).toHaveLength(1);
    expect(conn.closed).toBe(true);
    await expect(conn.api("status")).rejects.toThrow(ESL_CONNECTION_LOST);
    const originates = fake.commands.filter((c) => c.command.includes("originate"));
    expect(originates).toHaveLength(2);
  });

  it("keep-alive: after silence `api status` must be answered, or the socket is closed", async () => {
    const { fake, closed, connect } = await setup({}, { pingIntervalMs: 60, pongTimeoutMs: 60 });
    let answer = true;
    fake.handler = (command, headers) => {
      if (command === "api status") return answer ? apiResponse("UP 0 years\n") : undefined;
      return fakeDefault(command, headers);
    };
    const conn = await connect();
    await waitFor(() => fake.commands.filter((c) => c.command === "api status").length >= 2, "two pings");
    expect(conn.closed).toBe(false);
    answer = false;
    await waitFor(() => conn.closed, "closed by the keep-alive", 2000);
    expect(closed[0]?.message).toMatch(/^ESL keep-alive failed: ESL api gave no reply within 60 ms/);
  });

  it("events before a reply are handed over before its onReply hook runs, the ones after it after", async () => {
    const { fake, connect } = await setup();
    const seen: string[] = [];
    fake.handler = (command, headers, socket) => {
      if (command !== "api show channels as json") return fakeDefault(command, headers);
      // One write: an event, the reply, another event.
      socket.write(
        jsonEvent({ "Event-Name": "CHANNEL_CREATE", "Unique-ID": "before" }) +
          apiResponse('{"row_count": 0}') +
          jsonEvent({ "Event-Name": "CHANNEL_CREATE", "Unique-ID": "after" }),
      );
      return undefined;
    };
    const conn = await connect();
    const events: string[] = [];
    (conn as unknown as { handlers: EslConnectionHandlers }).handlers.events = (batch) => {
      for (const e of batch) events.push(String(e["Unique-ID"]));
    };
    await conn.api("show channels as json", { onReply: () => seen.push(`reply after ${events.join(",")}`) });
    await sleep(10);
    expect(seen).toEqual(["reply after before"]);
    expect(events).toEqual(["before", "after"]);
  });
});

function fakeDefault(command: string, _headers: Record<string, string>): string | undefined {
  if (command.startsWith("auth ")) return reply("+OK accepted");
  if (command.startsWith("event ")) return reply("+OK event listener enabled json");
  if (command.startsWith("api ")) return apiResponse("+OK\n");
  return reply("+OK");
}
