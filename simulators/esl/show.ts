// The ESL simulator's reports, in FreeSWITCH's formats: `show channels|calls|bridged_calls|registrations
// as json`, `sofia status` and `valet_info`.

import type { EslLiveState } from "./live-state.js";
import type { SimChannel } from "./types.js";

/** `show <what>`: the json forms; an empty result is FreeSWITCH's `{"row_count": 0}`. */
export function show(state: EslLiveState, domain: string, what: string): string {
  const w = what.trim().toLowerCase();
  let rows: Record<string, string>[];
  if (w === "channels as json") rows = [...state.channels.values()].map((c) => channelRow(c));
  else if (w === "calls as json" || w === "bridged_calls as json")
    rows = callRows(state, w.startsWith("bridged"));
  else if (w === "registrations as json") rows = registrationRows(state, domain);
  else return `-USAGE: show ${what}\n`;
  return rows.length === 0 ? '{"row_count": 0}' : JSON.stringify({ row_count: rows.length, rows });
}

function channelRow(c: SimChannel): Record<string, string> {
  const id = c.identity;
  const cidName = id["Caller-Caller-ID-Name"] ?? "";
  const cidNum = id["Caller-Caller-ID-Number"] ?? "";
  return {
    uuid: c.uuid,
    direction: c.direction,
    created: new Date(c.created * 1000).toISOString().replace("T", " ").slice(0, 19),
    created_epoch: String(c.created),
    name: id["Channel-Name"] ?? "",
    state: "CS_EXECUTE",
    cid_name: cidName,
    cid_num: cidNum,
    ip_addr: "127.0.0.1",
    dest: c.dest,
    application: c.application,
    application_data: c.appData,
    dialplan: "XML",
    context: c.context,
    read_codec: "PCMA",
    read_rate: "8000",
    read_bit_rate: "64000",
    write_codec: "PCMA",
    write_rate: "8000",
    write_bit_rate: "64000",
    secure: "",
    hostname: "sim",
    presence_id: id["Channel-Presence-ID"] ?? "",
    presence_data: "",
    accountcode: "",
    callstate: c.callstate,
    callee_name: "",
    callee_num: "",
    callee_direction: "",
    call_uuid: c.callUuid,
    sent_callee_name: "",
    sent_callee_num: "",
    initial_cid_name: cidName,
    initial_cid_num: cidNum,
    initial_ip_addr: "127.0.0.1",
    initial_dest: c.dest,
    initial_dialplan: "XML",
    initial_context: c.context,
  };
}

/** FreeSWITCH's basic_calls: each A-leg joined with the legs whose call_uuid names it. */
function callRows(state: EslLiveState, bridgedOnly: boolean): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const a of state.channels.values()) {
    if (a.callUuid && a.callUuid !== a.uuid) continue;
    const bs = [...state.channels.values()].filter((b) => b !== a && b.callUuid === a.uuid);
    const base = channelRow(a);
    if (bs.length === 0 && !bridgedOnly) rows.push({ ...base, b_uuid: "" });
    for (const b of bs) {
      const br = channelRow(b);
      const row: Record<string, string> = { ...base };
      for (const [k, v] of Object.entries(br)) row[`b_${k}`] = v;
      rows.push(row);
    }
  }
  return rows;
}

function registrationRows(state: EslLiveState, domain: string): Record<string, string>[] {
  return [...state.registrations].map(([ext, r]) => ({
    reg_user: ext,
    realm: domain,
    token: r.token,
    url: `sofia/${r.profile}/sip:${ext}@127.0.0.1:5${ext.slice(1)}`,
    expires: String(Math.floor(Date.now() / 1000) + 3600),
    network_ip: "127.0.0.1",
    network_port: `5${ext.slice(1)}`,
    network_proto: "udp",
    hostname: "sim",
    metadata: "",
  }));
}

/** `sofia status`: the captured switch's two profiles and its carrier gateway. */
export function sofiaStatus(): string {
  return (
    "                     Name\t   Type\t                                      Data\tState\n" +
    "=================================================================================================\n" +
    "                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5086\tRUNNING (0)\n" +
    "        external::carrier\tgateway\t             sip:FreeSWITCH@127.0.0.1:5110\tNOREG\n" +
    "                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5085\tRUNNING (0)\n" +
    "=================================================================================================\n" +
    "2 profiles 0 aliases\n"
  );
}

/** `valet_info`: the lots (default always there) and the parked legs' uuids by slot, as XML. */
export function valetInfo(state: EslLiveState): string {
  const lots = new Map<string, [string, string][]>();
  for (const [key, leg] of state.parked) {
    const [lot = "", space = ""] = key.split("/");
    lots.set(lot, [...(lots.get(lot) ?? []), [space, leg]]);
  }
  if (!lots.has("default")) lots.set("default", []);
  let out = "<lots>\n";
  for (const [lot, slots] of lots) {
    out += `  <lot name="${lot}">\n`;
    for (const [space, leg] of slots) out += `    <extension uuid="${leg}">${space}</extension>\n`;
    out += "  </lot>\n";
  }
  return `${out}</lots>\n`;
}
