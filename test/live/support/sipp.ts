// Phones and the carrier, played by sipp (Debian's sip-tester). Scenarios are written here, one
// function per behaviour: a phone that rings and answers (or rings until cancelled, or is busy), a
// phone that calls and then holds, transfers (SIP REFER) or hangs up. Both sides stream RTP until the
// call ends (a recording of a silent call is a 44-byte WAV), accept the PBX's re-INVITEs (connected
// line updates, hold) and wait for the BYE, so the test — not a timer — decides when a call ends.

import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, freeUdpRange, type Spawned, spawnLogged, until } from "./processes.js";
import { attendedTransferScenario } from "./sipp-transfer.js";

export const SDP = `v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtpstream_audio_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=[direction]`;

export function msg(text: string, attrs = ""): string {
  return `<send${attrs}><![CDATA[\n${text.replace(/\n/g, "\n")}\n]]></send>`;
}

export function body(sdp: string, direction = "sendrecv"): string {
  const s = sdp.replace("[direction]", direction);
  return `Content-Type: application/sdp\nContent-Length: [len]\n\n${s}`;
}

/** What the PBX may send during a call: a re-INVITE or UPDATE (answered), then its BYE ends the call. */
function talkLoop(prefix: string): string {
  return `
<label id="${prefix}talk"/>
<recv request="INVITE" optional="true" next="${prefix}reinvite"/>
<recv request="UPDATE" optional="true" next="${prefix}update"/>
<recv request="BYE" next="${prefix}bye"/>
<label id="${prefix}reinvite"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
${body(SDP)}`)}
<recv request="ACK" next="${prefix}talk"/>
<label id="${prefix}update"/>
${msg(
  `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0`,
  ' next="' + prefix + 'talk"',
)}
<label id="${prefix}bye"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`)}
<nop><action><exec rtp_stream="pause"/></action></nop>`;
}

/**
 * Talks for `ms` while answering what the PBX sends meanwhile (a re-INVITE for a connected-line update,
 * its BYE). A plain <pause> would abort the call on such a message, and the PBX would go on
 * retransmitting it to whichever sipp listens on the port next.
 */
function talkFor(ms: number, id: string): string {
  return `<label id="talk${id}"/>
<recv request="INVITE" optional="true" timeout="${ms}" ontimeout="talked${id}" next="reinvite${id}"/>
<recv request="BYE" timeout="${ms}" ontimeout="talked${id}" next="bye"/>
<label id="reinvite${id}"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
${body(SDP)}`)}
<recv request="ACK" next="talk${id}"/>
<label id="talked${id}"/>`;
}

export const STREAM = `<nop><action><exec rtp_stream="tone.alaw,-1,8"/></action></nop>`;

export type Answer = { ringMs: number } | "ring-until-cancelled" | "busy";

/** A phone that receives one call. */
export function uasScenario(answer: Answer): string {
  const ringing = msg(`SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0`);
  const invite = `<recv request="INVITE" crlf="true"><action><ereg regexp="([0-9]+) INVITE" search_in="hdr" header="CSeq:" assign_to="cseqall,invcseq"/><log message="INVITE [$cseqall]"/></action></recv>`;
  if (answer === "busy") {
    // Rings for a moment first (the user rejects it): long enough for every viewer to be shown the
    // call, which a board that batches its updates would not show for an instant 486.
    return scenario(`<recv request="INVITE" crlf="true"/>
${ringing.replace("[last_To:];tag", "[last_To:];tag")}
<pause milliseconds="1500"/>
${msg(`SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`)}
<recv request="ACK"/>`);
  }
  const cancelled = `<label id="cancelled"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`)}
${msg(`SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
Content-Length: 0`)}
<recv request="ACK" next="end"/>`;
  const waitCancel =
    answer === "ring-until-cancelled"
      ? `<recv request="CANCEL" next="cancelled"/>`
      : `<recv request="CANCEL" optional="false" timeout="${answer.ringMs}" ontimeout="answer" next="cancelled"/>`;
  return scenario(`${invite}
${ringing}
${waitCancel}
<label id="answer"/>
${msg(
  `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
[last_Record-Route:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
${body(SDP)}`,
  ' retrans="500"',
)}
<recv request="ACK" crlf="true"/>
${STREAM}
${talkLoop("")}
<nop next="end"/>
${cancelled}`);
}

export type CallerStep =
  | { pauseMs: number }
  | { hold: true }
  | { unhold: true }
  | { refer: string }
  | { dtmf: string }
  | { hangup: true };

/** A phone (or the carrier) that places one call to `[service]`, then runs `steps` once answered. */
export function uacScenario(steps: CallerStep[] = [], cancelAfterMs?: number): string {
  let cseq = 1;
  const inDialog = (method: string, extra: string, content = "Content-Length: 0") =>
    msg(
      `${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${++cseq} ${method}
[routes]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
${extra}${extra ? "\n" : ""}${content}`,
      ' retrans="500"',
    );
  const ack = (n: number) =>
    msg(`ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${n} ACK
[routes]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0`);
  const parts: string[] = [];
  let i = 0;
  for (const step of steps) {
    i++;
    if ("pauseMs" in step) parts.push(talkFor(step.pauseMs, `p${i}`));
    else if ("hold" in step || "unhold" in step) {
      parts.push(inDialog("INVITE", "", body(SDP, "hold" in step ? "sendonly" : "sendrecv")));
      parts.push(`<recv response="100" optional="true"/>`, `<recv response="200" rrs="true"/>`, ack(cseq));
    } else if ("refer" in step) {
      parts.push(
        inDialog(
          "REFER",
          `Refer-To: <sip:${step.refer}@[remote_ip]:[remote_port]>\nReferred-By: <sip:[user]@[local_ip]:[local_port]>`,
        ),
      );
      parts.push(`<recv response="202"/>`);
      // NOTIFYs report the transfer's progress (a sipfrag); after the final one the phone hangs up, as
      // a transferring phone does (unless the PBX hangs up first).
      // Waiting is done only in recv elements: a message that arrives while sipp is on a nop aborts it.
      const notify = `<recv request="NOTIFY" optional="true" next="notified${i}"><action><ereg regexp="SIP/2.0 [2-6]" search_in="body" check_it="false" assign_to="final${i}"/></action></recv>
<recv request="BYE" next="bye"/>`;
      parts.push(`${notify}
<label id="notified${i}"/>
${msg(
  `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`,
  ` test="final${i}" next="transferred${i}"`,
)}
${notify}
<label id="transferred${i}"/>
<nop><action><exec rtp_stream="pause"/></action></nop>
${inDialog("BYE", "")}
<label id="byeing${i}"/>
<recv response="200" optional="true" next="end"/>
<recv response="481" optional="true" next="end"/>
<recv request="NOTIFY" optional="true" next="answer${i}"/>
<recv request="BYE" next="answer${i}"/>
<label id="answer${i}"/>
${msg(
  // The PBX hung up as the phone did (their BYEs crossed), or a last NOTIFY came late: answer it and
  // keep waiting for the answer to the phone's own BYE.
  `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`,
  ` next="byeing${i}"`,
)}`);
    } else if ("dtmf" in step) {
      for (const [j, digit] of [...step.dtmf].entries()) {
        parts.push(
          inDialog(
            "INFO",
            "",
            `Content-Type: application/dtmf-relay\nContent-Length: [len]\n\nSignal=${digit}\nDuration=160`,
          ),
        );
        parts.push(`<recv response="200"/>`, talkFor(300, `d${i}x${j}`));
      }
    } else if ("hangup" in step) {
      parts.push(
        `<nop><action><exec rtp_stream="pause"/></action></nop>`,
        inDialog("BYE", ""),
        `<recv response="200" next="end"/>`,
      );
    }
  }
  const cancel = cancelAfterMs
    ? `<pause milliseconds="${cancelAfterMs}"/>
${msg(`CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
From: "[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0`)}
<recv response="200"/>
<recv response="487" next="rejected"/>`
    : "";
  return scenario(`<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
From: "[name]" <sip:[user]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
${body(SDP)}
]]></send>
${
  cancel
    ? `<recv response="100" optional="true"/>\n<recv response="180"/>\n${cancel}`
    : `<label id="provisional"/>
<recv response="100" optional="true" next="provisional"/>
<recv response="180" optional="true" next="provisional"/>
<recv response="183" optional="true" next="provisional"/>`
}
<recv response="486" optional="true" next="rejected"/>
<recv response="480" optional="true" next="rejected"/>
<recv response="404" optional="true" next="rejected"/>
<recv response="403" optional="true" next="rejected"/>
<recv response="487" optional="true" next="rejected"/>
<recv response="503" optional="true" next="rejected"/>
<recv response="603" optional="true" next="rejected"/>
<recv response="200" rrs="true"/>
${ack(1)}
${STREAM}
${parts.join("\n")}
${talkLoop("")}
<nop next="end"/>
<label id="rejected"/>
${msg(`ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0`)}`);
}

/**
 * A phone that rings, answers, talks, then blind-transfers the call with a REFER of its own (the phone's
 * transfer key; the capture tool's scenario), answers the PBX's NOTIFYs and hangs up after the final one.
 * The phone is the called side of the dialog, so its requests carry the INVITE's To (with its tag) as From
 * and the INVITE's From as To. A re-INVITE during the talk restarts the talk timer.
 */
export function uasReferScenario(ringMs: number, talkMs: number, target: string, pbxPort: number): string {
  const reply = (extra = "") =>
    msg(
      `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`,
      extra,
    );
  const request = (method: string, cseq: number, extra: string) =>
    msg(
      `${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$lto];tag=[pid]SIPpTag01[call_number]
To: [$rfrom]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
[routes]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
${extra}${extra ? "\n" : ""}Content-Length: 0`,
      ' retrans="500"',
    );
  // Waiting is done only in recv elements (a message that arrives while sipp is on a nop aborts it): the
  // NOTIFYs are waited for again after each one is answered.
  const notify = `<recv request="NOTIFY" optional="true" next="notified"><action><ereg regexp="SIP/2.0 [2-6]" search_in="body" check_it="false" assign_to="final"/></action></recv>
<recv request="BYE" next="byed"/>`;
  return scenario(`<recv request="INVITE" crlf="true" rrs="true"><action>
<ereg regexp="([0-9]+) INVITE" search_in="hdr" header="CSeq:" assign_to="cseqall,invcseq"/>
<ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="rfrom"/>
<ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="lto"/>
<log message="INVITE [$cseqall] from [$rfrom] to [$lto]"/>
</action></recv>
${msg(`SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0`)}
<pause milliseconds="${ringMs}"/>
${msg(
  `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
${body(SDP)}`,
  ' retrans="500"',
)}
<recv request="ACK" crlf="true"/>
${STREAM}
<label id="talk"/>
<recv request="INVITE" optional="true" timeout="${talkMs}" ontimeout="refer" next="reinvite"/>
<recv request="BYE" timeout="${talkMs}" ontimeout="refer" next="byed"/>
<label id="reinvite"/>
${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
${body(SDP)}`)}
<recv request="ACK" next="talk"/>
<label id="refer"/>
${request("REFER", 101, `Refer-To: <sip:${target}@127.0.0.1:${pbxPort}>\nReferred-By: <sip:[user]@[local_ip]:[local_port]>`)}
<recv response="202"/>
${notify}
<label id="notified"/>
${reply(' test="final" next="transferred"')}
${notify}
<label id="transferred"/>
<nop><action><exec rtp_stream="pause"/></action></nop>
${request("BYE", 102, "")}
<label id="byeing"/>
<recv response="200" optional="true" next="end"/>
<recv response="481" optional="true" next="end"/>
<recv request="NOTIFY" optional="true" next="late"/>
<recv request="BYE" next="late"/>
<label id="late"/>
${reply(' next="byeing"')}
<label id="byed"/>
${reply(' next="end"')}`);
}

/** A phone that registers (expires > 0) or unregisters (expires 0). */
export function registerScenario(expires: number): string {
  return scenario(`${msg(
    `REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[user]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[user]@[local_ip]:[local_port];transport=[transport]>
Expires: ${expires}
Max-Forwards: 70
Content-Length: 0`,
    ' retrans="500"',
  )}
<recv response="100" optional="true"/>
<recv response="200"/>`);
}

export function scenario(inner: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="callsight-live">
${inner}
<label id="end"/>
</scenario>
`;
}

/** 1 s of a 440 Hz tone as raw A-law (what rtp_stream plays with payload type 8). */
export function toneAlaw(): Buffer {
  const out = Buffer.alloc(8000);
  for (let i = 0; i < out.length; i++)
    out[i] = linearToAlaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  return out;
}

function linearToAlaw(sample: number): number {
  const sign = sample >= 0 ? 0x80 : 0;
  let s = Math.min(32635, Math.abs(sample));
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; exponent--, mask >>= 1);
  const mantissa = (s >> (exponent === 0 ? 4 : exponent + 3)) & 0x0f;
  s = (exponent << 4) | mantissa;
  return (s | sign) ^ 0x55;
}

export interface SippRun {
  process: Spawned;
  /** The exit code: 0 when every call of the scenario succeeded. */
  done: Promise<number | string>;
}

/** One sipp endpoint bound to a fixed loopback port (a phone's contact, or the carrier's address). */
export class SippEndpoint {
  private seq = 0;
  current?: SippRun;
  constructor(
    readonly user: string,
    readonly name: string,
    readonly port: number,
    private readonly dir: string,
    private readonly pbxSip: () => number,
  ) {}

  async run(kind: string, xml: string, args: string[]): Promise<SippRun> {
    await this.current?.process.stop(2000);
    const n = ++this.seq;
    const file = join(this.dir, `${this.user}-${kind}-${n}.xml`);
    await writeFile(file, xml);
    // Written once: rewriting it while another sipp reads it makes that one fail to cache it.
    const audio = join(this.dir, "tone.alaw");
    if (!existsSync(audio)) await writeFile(audio, toneAlaw());
    const media = await freeUdpRange(8);
    const control = await freePort();
    const p = await spawnLogged(
      `sipp-${this.user}-${kind}-${n}`,
      "sipp",
      [
        ...args,
        "-sf",
        file,
        "-i",
        "127.0.0.1",
        "-p",
        String(this.port),
        "-mi",
        "127.0.0.1",
        "-mp",
        String(media),
        "-cp",
        String(control),
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "300s",
        "-key",
        "user",
        this.user,
        "-key",
        "name",
        this.name,
        "-key",
        "audio",
        audio,
        "-trace_msg",
        "-message_file",
        join(this.dir, "logs", `sipp-${this.user}-${kind}-${n}.sip.log`),
        "-trace_err",
        "-error_file",
        join(this.dir, "logs", `sipp-${this.user}-${kind}-${n}.err.log`),
      ],
      { dir: this.dir },
    );
    this.current = { process: p, done: p.exited };
    return this.current;
  }

  /** Waits for one incoming call. */
  /**
   * Waits for one incoming call; returns once sipp listens. A PBX answers an INVITE that meets a closed
   * port (ICMP unreachable) with an immediate 503, so a call placed right after must not race sipp's start.
   */
  async answer(answer: Answer = { ringMs: 800 }): Promise<SippRun> {
    const run = await this.run("uas", uasScenario(answer), []);
    await until(
      async () => {
        if (run.process.child.exitCode !== null)
          throw new Error(`sipp ${this.user} exited: ${await run.process.log()}`);
        return !(await udpFree(this.port));
      },
      `sipp ${this.user} listening on ${this.port}`,
      10_000,
      20,
    );
    return run;
  }

  /** Places one call to `target` through the PBX. */
  call(target: string, steps: CallerStep[] = [], opts: { cancelAfterMs?: number } = {}): Promise<SippRun> {
    return this.run("uac", uacScenario(steps, opts.cancelAfterMs), [
      `127.0.0.1:${this.pbxSip()}`,
      "-s",
      target,
    ]);
  }

  /** Calls `target`, then consults `consult` on a second dialog and transfers the first to it (REFER/Replaces). */
  attendedTransfer(target: string, consult: string): Promise<SippRun> {
    return this.run("atxfer", attendedTransferScenario(consult), [
      `127.0.0.1:${this.pbxSip()}`,
      "-s",
      target,
      // Call-IDs without "@", so the consultation's can go into the Refer-To URI's Replaces unescaped.
      "-cid_str",
      "%u-%p-callsight",
    ]);
  }

  /**
   * Waits for one incoming call, answers it after `ringMs`, talks `talkMs`, then blind-transfers it to
   * `target` with a REFER from the phone ({@link uasReferScenario}); returns once sipp listens.
   */
  async answerThenRefer(o: { ringMs: number; talkMs: number; target: string }): Promise<SippRun> {
    // A UAS sipp knows no remote address for [remote_ip]: the Refer-To names the PBX's address itself.
    const run = await this.run(
      "uas-refer",
      uasReferScenario(o.ringMs, o.talkMs, o.target, this.pbxSip()),
      [],
    );
    await until(
      async () => {
        if (run.process.child.exitCode !== null)
          throw new Error(`sipp ${this.user} exited: ${await run.process.log()}`);
        return !(await udpFree(this.port));
      },
      `sipp ${this.user} listening on ${this.port}`,
      10_000,
      20,
    );
    return run;
  }

  register(expires: number): Promise<SippRun> {
    return this.run(expires > 0 ? "register" : "unregister", registerScenario(expires), [
      `127.0.0.1:${this.pbxSip()}`,
    ]);
  }

  async stop(): Promise<void> {
    await this.current?.process.stop(2000);
    this.current = undefined;
  }

  /**
   * Lets the running scenario end by itself (it ends once it has answered the PBX's BYE), stopping it
   * only after `ms`. Killed earlier, it would leave the PBX retransmitting that BYE to whatever sipp
   * listens on the port next — which takes it for a new call and aborts.
   */
  async finish(ms = 5000): Promise<void> {
    const run = this.current;
    if (!run) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([run.done, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    await this.stop();
  }
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket("udp4");
    u.once("error", () => resolve(false));
    u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
  });
}
