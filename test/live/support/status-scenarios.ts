// "My status" on a real PBX (Asterisk over AMI and over ARI with its AMI companion, FreeSWITCH over ESL),
// driven through the API as the board's control drives it: the status must land where the PBX keeps it
// (Asterisk: `presencestate list` / `devstate list` and AstDB; FreeSWITCH: the db, through the event
// socket) and come back to the board from the PBX's own events. An admin sets it for others, anyone else
// is refused; an end time sets it back on the PBX. The phone's own feature codes have their scenario.

import { expect, it } from "vitest";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";
import type { LiveViewer } from "./viewer.js";

/** What the PBX itself says about an extension's status. */
export interface PbxStatus {
  /** The presence state as the PBX keeps it (`dnd`, `away`, `available`), if any. */
  status?: string;
  note?: string;
  /** The DND lamp / switch. */
  dnd: boolean;
}

export interface StatusLive {
  callsight: LiveCallsight;
  /** Sees everyone. */
  admin: LiveViewer;
  /** Reads an extension's status on the PBX (CLI / ESL). */
  inPbx(extension: string): Promise<PbxStatus>;
}

/** A note with a comma, a dash and an umlaut: what breaks naive encodings. */
const NOTE = "Workshop, room 4 – zurück um 14:00";

export function statusScenarios(live: () => StatusLive): void {
  it("my status through the API: written to the PBX where the lamps read it, shown from the PBX's events", async () => {
    const { callsight, admin, inPbx } = live();
    const statusOf = async (viewer: string, user: string) =>
      ((await callsight.api("GET", "/v1/status", viewer)).body.people as any[]).find((p) => p.user === user);

    const dnd = await callsight.api("PUT", "/v1/status", "1005", { status: "dnd", note: NOTE });
    expect(dnd.status, JSON.stringify(dnd.body)).toBe(202);
    const kept = await until(async () => {
      const s = await inPbx("1005");
      return s.dnd && s.status === "dnd" ? s : undefined;
    }, "1005 in DND on the PBX");
    expect(kept.note).toBe(NOTE);
    await admin.sees("1005 dnd", (v) => v.person("1005")?.presence === "dnd");
    // The note comes back from the PBX too (a colleague in 1005's department sees it).
    await until(async () => (await statusOf("1004", "1005"))?.note === NOTE, "1005's note on 1004's board");
    expect(await statusOf("1004", "1005")).toMatchObject({ user: "1005", status: "dnd", note: NOTE });

    const away = await callsight.api("PUT", "/v1/status", "1005", { status: "away", note: "Lunch" });
    expect(away.status).toBe(202);
    await until(async () => {
      const s = await inPbx("1005");
      return !s.dnd && s.status === "away" && s.note === "Lunch";
    }, "1005 away on the PBX, the DND lamp off");
    await admin.sees("1005 away", (v) => v.person("1005")?.presence === "away");
    await until(async () => (await statusOf("1004", "1005"))?.note === "Lunch", "the new note");

    // An admin sets someone else's; a colleague may not.
    const refused = await callsight.api("PUT", "/v1/users/1003/status", "1005", { status: "dnd" });
    expect(refused.status).toBe(403);
    const byAdmin = await callsight.api("PUT", "/v1/users/1003/status", "admin", { status: "dnd" });
    expect(byAdmin.status).toBe(202);
    await until(async () => (await inPbx("1003")).dnd, "1003 in DND on the PBX");
    await admin.sees("1003 dnd", (v) => v.person("1003")?.presence === "dnd");

    // An end time: the PBX is set back to available when it passes (no sleeping: its events say so).
    const soon = Date.now() + 1500;
    const timed = await callsight.api("PUT", "/v1/users/1003/status", "admin", {
      status: "away",
      until: soon,
    });
    expect(timed.status).toBe(202);
    expect((await statusOf("admin", "1003"))?.until).toBe(soon);
    await admin.sees("1003 away", (v) => v.person("1003")?.presence === "away");
    await admin.sees("1003 available after the end time", (v) => v.person("1003")?.presence === "available");
    await until(async () => {
      const s = await inPbx("1003");
      return !s.dnd && s.status === "available";
    }, "1003 available on the PBX");
    expect((await statusOf("admin", "1003"))?.until).toBeUndefined();

    const entries = (await callsight.api("GET", "/v1/audit?action=setStatus", "admin")).body.entries as any[];
    expect(entries.map((e) => [e.actor, e.target, e.outcome])).toEqual(
      expect.arrayContaining([
        ["1005", "1005", "accepted"],
        ["1005", "1003", "refused"],
        ["admin", "1003", "accepted"],
        ["callsight", "1003", "accepted"],
      ]),
    );

    // Everyone available again for the next scenarios.
    expect((await callsight.api("PUT", "/v1/status", "1005", { status: "available" })).status).toBe(202);
    await admin.sees("1005 available", (v) => v.person("1005")?.presence === "available");
    await until(async () => (await statusOf("admin", "1005"))?.note === undefined, "1005's note gone");
  });
}

/**
 * Asterisk keeps both in AstDB, where the CLI reads them: `CustomPresence/<ext>` = `<state>,<subtype>,<message>[,e]`
 * (base64 with `e`) and `CustomDevstate/DND<ext>` = the lamp's device state. `presencestate list` and
 * `devstate list` must name them too (what the hints read).
 */
export function asteriskStatus(pbx: { cli(command: string): Promise<string> }) {
  return async (extension: string): Promise<PbxStatus> => {
    const value = (out: string) => /Value:\s*(.*)$/m.exec(out)?.[1]?.trim();
    const presence = value(await pbx.cli(`database get CustomPresence ${extension}`));
    const lamp = value(await pbx.cli(`database get CustomDevstate DND${extension}`));
    const devstates = await pbx.cli("devstate list");
    const lampLine = devstates.split("\n").find((l) => l.includes(`Custom:DND${extension}`)) ?? "";
    const out: PbxStatus = { dnd: lamp === "BUSY" && /BUSY/.test(lampLine) };
    if (presence) {
      const [state = "", , message = "", options = ""] = presence.split(",");
      const listed = (await pbx.cli("presencestate list")).includes(`CustomPresence:${extension}`);
      if (listed) out.status = state;
      const note = options.includes("e") ? Buffer.from(message, "base64").toString("utf8") : message;
      if (note) out.note = note;
    }
    return out;
  };
}

/** FreeSWITCH keeps them in its db (status-db.ts), read through the event socket as fs_cli would. */
export function freeswitchStatus(pbx: { api(command: string): Promise<string> }) {
  return async (extension: string): Promise<PbxStatus> => {
    const dnd = (await pbx.api(`db exists/callsight_dnd/${extension}`)).trim() === "true";
    const kept = (await pbx.api(`db exists/callsight_status/${extension}`)).trim() === "true";
    // No key: available without a note (the db keeps only the statuses that say something).
    const status = kept ? (await pbx.api(`db select/callsight_status/${extension}`)).trim() : "available";
    const note = (await pbx.api(`db select/callsight_status_note/${extension}`)).trim();
    return {
      dnd,
      ...(status && !status.startsWith("-") ? { status } : {}),
      ...(note && !note.startsWith("-") ? { note: decodeURIComponent(note) } : {}),
    };
  };
}
