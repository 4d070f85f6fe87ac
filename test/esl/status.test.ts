// The ESL driver's setStatus against the simulator: the db keys the dialplan reads, the callsight::dnd event
// and the PRESENCE_IN read back as the board's status, and a reconnect's snapshot that still has it (the
// hourly snapshot refresh or a lost socket must not forget an `away`).

import { afterEach, describe, expect, it } from "vitest";
import { EslSimulator } from "../../simulators/esl-simulator.js";
import type { PbxEvent, PbxSnapshot } from "../../src/domain/events.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import { decodeNote, encodeNote } from "../../src/pbx/freeswitch-esl/status-db.js";
import { silentLogger, waitFor } from "../ami/helpers.js";

describe("a user's status over ESL (simulator)", () => {
  let sim: EslSimulator | undefined;
  let driver: FreeswitchEslDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    await sim?.stop();
  });

  it("written to the db, announced, read back; a reconnect's snapshot keeps it", async () => {
    sim = new EslSimulator();
    const { port } = await sim.start({ password: "pw" });
    driver = new FreeswitchEslDriver({
      pbx: "fs",
      host: "127.0.0.1",
      port,
      secret: "pw",
      domain: "pbx.example.com",
      backoff: { initialMs: 20, maxMs: 100 },
      logger: silentLogger(),
    });
    const events: PbxEvent[] = [];
    driver.onEvents((batch) => events.push(...batch));
    driver.start();
    await waitFor(() => driver!.status().connected, "connected");

    const note = "Lunch / back at 2, 100% sure";
    expect(await driver.setStatus({ extension: "1005", status: "away", note })).toMatchObject({
      status: "accepted",
    });
    await waitFor(() => events.find((e) => e.type === "presence.state" && e.state === "away"), "away back");
    expect(events.filter((e) => e.type === "presence.state" || e.type === "presence.dnd")).toEqual([
      expect.objectContaining({ type: "presence.state", extension: "1005", state: "away", message: note }),
      expect.objectContaining({ type: "presence.dnd", extension: "1005", on: false }),
    ]);
    const presenceIn = sim.commandLog.find((c) => c.command === "sendevent PRESENCE_IN");
    expect(presenceIn?.headers).toMatchObject({ from: "1005@pbx.example.com", rpid: "away", status: note });

    expect(await driver.setStatus({ extension: "1004", status: "dnd" })).toMatchObject({
      status: "accepted",
    });
    await waitFor(
      () => events.find((e) => e.type === "presence.dnd" && e.extension === "1004" && e.on),
      "dnd",
    );

    // The socket drops: the next snapshot reads the statuses from the db.
    const before = events.length;
    sim.dropConnections();
    const snapshot = (await waitFor(
      () => events.slice(before).find((e) => e.type === "pbx.snapshot"),
      "a new snapshot",
    )) as PbxSnapshot;
    expect(snapshot.presence).toEqual(
      expect.arrayContaining([
        { extension: "1005", state: "away", message: note },
        { extension: "1004", state: "available" },
      ]),
    );
    expect(snapshot.dnd).toEqual([{ extension: "1004", on: true }]);
  });

  it("refuses an extension that is no db key, before FreeSWITCH is asked", async () => {
    sim = new EslSimulator();
    const { port } = await sim.start({ password: "pw" });
    driver = new FreeswitchEslDriver({
      pbx: "fs",
      host: "127.0.0.1",
      port,
      secret: "pw",
      logger: silentLogger(),
    });
    driver.start();
    await waitFor(() => driver!.status().connected, "connected");
    const asked = sim.commandLog.length;
    expect(await driver.setStatus({ extension: "10 05/x", status: "dnd" })).toMatchObject({
      status: "refused",
      reason: "invalid-argument",
    });
    expect(sim.commandLog.length).toBe(asked);
  });

  it("a note survives the db's argument parser: no slash, quote, space or line break in the value", () => {
    for (const note of ["a/b", "it's", "two words", "50%", "(x)*!~", "zurück – ok"]) {
      const encoded = encodeNote(note);
      expect(encoded).toMatch(/^[A-Za-z0-9%._-]*$/);
      expect(decodeNote(encoded)).toBe(note);
    }
  });
});
