// A phone's attended transfer by SIP REFER with Replaces: it calls A (`[service]`), consults B on a
// second dialog of the same sipp call (its Call-ID is `B///<call id>`: sipp ignores what precedes the
// triple slash when it matches messages to calls), then REFERs A to B replacing the consultation.
// Afterwards it answers whatever the PBX sends (NOTIFYs, BYEs on both dialogs) until it is stopped.

import { body, msg, SDP, STREAM, scenario } from "./sipp.js";

const FROM_A = `"[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`;
const FROM_B = `"[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]b`;
const CONTACT = "Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>";

function invite(to: string, callId: string, from: string): string {
  return msg(
    `INVITE sip:${to}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: ${from}
To: <sip:${to}@[remote_ip]:[remote_port]>
Call-ID: ${callId}
CSeq: 1 INVITE
${CONTACT}
Max-Forwards: 70
${body(SDP)}`,
    ' retrans="500"',
  );
}

function answered(label: string, tagVar: string): string {
  return `<label id="${label}"/>
<recv response="100" optional="true" next="${label}"/>
<recv response="180" optional="true" next="${label}"/>
<recv response="183" optional="true" next="${label}"/>
<recv response="200" rrs="true"><action><ereg regexp="tag=([^;> ]+)" search_in="hdr" header="To:" assign_to="${tagVar}all,${tagVar}"/><log message="answered [$${tagVar}all]"/></action></recv>`;
}

function inDialog(
  method: string,
  to: string,
  tagVar: string,
  callId: string,
  from: string,
  cseq: number,
  extra = "",
): string {
  return msg(
    `${method} sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: ${from}
To: <sip:${to}@[remote_ip]:[remote_port]>;tag=[$${tagVar}]
Call-ID: ${callId}
CSeq: ${cseq} ${method}
${CONTACT}
Max-Forwards: 70
${extra}${extra ? "\n" : ""}Content-Length: 0`,
    method === "ACK" ? "" : ' retrans="500"',
  );
}

const OK = msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
${CONTACT}
Content-Length: 0`);

export function attendedTransferScenario(consult: string): string {
  const b = "B///[call_id]";
  return scenario(`${invite("[service]", "[call_id]", FROM_A)}
${answered("a", "atag")}
${inDialog("ACK", "[service]", "atag", "[call_id]", FROM_A, 1)}
${STREAM}
<pause milliseconds="800"/>
${invite(consult, b, FROM_B)}
${answered("b", "btag")}
${inDialog("ACK", consult, "btag", b, FROM_B, 1)}
<pause milliseconds="1500"/>
${inDialog(
  "REFER",
  "[service]",
  "atag",
  "[call_id]",
  FROM_A,
  2,
  `Refer-To: <sip:${consult}@[remote_ip]:[remote_port]?Replaces=B%2F%2F%2F[call_id]%3Bto-tag%3D[$btag]%3Bfrom-tag%3D[pid]SIPpTag00[call_number]b>
Referred-By: <sip:[user]@[local_ip]:[local_port]>`,
)}
<recv response="202"/>
<label id="wait"/>
<recv request="NOTIFY" optional="true" next="notify"><action><ereg regexp="SIP/2.0 [2-6]" search_in="body" check_it="false" assign_to="final"/></action></recv>
<recv request="BYE" optional="true" next="bye"/>
<recv request="INVITE" optional="true" next="reinvite"/>
<recv response="200" next="wait"/>
<label id="notify"/>
${OK.replace("<send>", '<send test="final" next="hangup">')}
<recv request="NOTIFY" optional="true" next="notify"><action><ereg regexp="SIP/2.0 [2-6]" search_in="body" check_it="false" assign_to="final"/></action></recv>
<recv request="BYE" optional="true" next="bye"/>
<recv request="INVITE" optional="true" next="reinvite"/>
<recv response="200" next="wait"/>
<label id="hangup"/>
${inDialog("BYE", "[service]", "atag", "[call_id]", FROM_A, 3)}
<recv request="NOTIFY" optional="true" next="notify"/>
<recv request="BYE" optional="true" next="bye"/>
<recv request="INVITE" optional="true" next="reinvite"/>
<recv response="200" next="wait"/>
<label id="bye"/>
${OK.replace("<send>", '<send next="wait">')}
<label id="reinvite"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
${CONTACT}
${body(SDP)}`)}
<recv request="ACK" next="wait"/>`);
}
