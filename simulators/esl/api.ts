// The api commands the ESL simulator runs (for `api` and `bgapi` alike), with FreeSWITCH's reply
// texts: status, show, sofia status, valet_info, uuid_getvar, uuid_kill, uuid_transfer, uuid_record,
// uuid_hold, originate, db, global_getvar, callcenter_config (agent status) and hupall. Anything else is "Command not found".

import { hangupLeg, hold, record, transfer } from "./call-commands.js";
import { callcenterConfig } from "./callcenter.js";
import { type EslCore, splitArgs } from "./command-kit.js";
import { originate } from "./originate.js";
import { show, sofiaStatus, valetInfo } from "./show.js";

/** Runs an api command (also what bgapi runs) and resolves with its reply body. */
export function runApi(core: EslCore, commandLine: string): Promise<string> {
  const args = splitArgs(commandLine.trim());
  const cmd = (args[0] ?? "").toLowerCase();
  switch (cmd) {
    case "status":
      return Promise.resolve(
        "UP 0 years, 0 days, 0 hours, 1 minute, 0 seconds, 0 milliseconds, 0 microseconds\n" +
          `FreeSWITCH (Version 1.11.3-dev  64bit) is ready\n${core.state.channels.size} session(s) since startup\n`,
      );
    case "show":
      return Promise.resolve(show(core.state, core.domain, args.slice(1).join(" ")));
    case "sofia":
      return Promise.resolve(sofiaStatus());
    case "valet_info":
      return Promise.resolve(valetInfo(core.state));
    case "uuid_getvar": {
      const ch = core.state.channels.get(args[1] ?? "");
      if (!ch) return Promise.resolve("-ERR No such channel!\n");
      return Promise.resolve(ch.vars[args[2] ?? ""] ?? "_undef_");
    }
    case "uuid_kill":
      return Promise.resolve(
        hangupLeg(core, args[1] ?? "", args[2] ?? "NORMAL_CLEARING") ? "+OK\n" : "-ERR No such channel!\n",
      );
    case "uuid_transfer":
      return Promise.resolve(transfer(core, args.slice(1)));
    case "uuid_record":
      return Promise.resolve(record(core, args.slice(1)));
    case "uuid_hold":
      return Promise.resolve(hold(core, args.slice(1)));
    case "originate":
      return originate(core, commandLine.trim().slice("originate".length).trim());
    case "global_getvar":
      return Promise.resolve(args[1] === "domain" ? core.domain : "");
    case "db":
      return Promise.resolve(dbCommand(core.db, args.slice(1).join(" ")));
    case "callcenter_config":
      return Promise.resolve(callcenterConfig(core, args.slice(1)));
    case "hupall":
      for (const uuid of [...core.state.channels.keys()]) hangupLeg(core, uuid, args[1] ?? "MANAGER_REQUEST");
      return Promise.resolve("+OK hangup all channels\n");
    default:
      return Promise.resolve(`-ERR ${args[0] ?? ""} Command not found!\n`);
  }
}

/** mod_db's `db insert|delete|select|exists|list/<realm>/<key>[/<value>]`. */
function dbCommand(db: Map<string, string>, arg: string): string {
  const [op = "", realm = "", key = "", ...rest] = arg.split("/");
  const k = `${realm}/${key}`;
  switch (op) {
    case "insert":
      if (!realm || !key) return "-ERR db insert/<realm>/<key>/<value>\n";
      db.set(k, rest.join("/"));
      return "+OK";
    case "delete":
      db.delete(k);
      return "+OK";
    case "select":
      return db.get(k) ?? "";
    case "exists":
      return db.has(k) ? "true" : "false";
    case "list": {
      const keys = [...db.keys()].filter((x) => x.startsWith(`${realm}/`));
      // FreeSWITCH's event socket answers an api that wrote nothing (an empty realm) with this.
      return keys.map((x) => x.slice(realm.length + 1)).join(",") || "-ERR no reply\n";
    }
    default:
      return "-ERR db [insert|delete|select|exists|list]/<realm>/<key>[/<value>]\n";
  }
}
