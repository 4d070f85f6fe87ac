// ChanSpy in the AMI simulator: `Originate Application: ChanSpy` rings the supervisor's phone and,
// once it answers, spies on the channel whose name starts with the prefix in Data (options: B barge,
// w/W whisper, E exit when the spied-on channel hangs up). Played from traces 10a/10b/10c: the spy
// leg up to ChanSpyStart, and from ChanSpyStop when the spy ends.

import type { MonitoringMode } from "../../src/domain/directory.js";
import { collectIds, freshInstance, get, Rewriter, set } from "../ami-trace.js";
import { type AmiCore, compose, existingRole, liveSubstitution, newRole, steps } from "./command-kit.js";
import type { Instance, Post, SpySession } from "./types.js";

export function startSpy(
  core: AmiCore,
  ext: string,
  data: string,
  callerId: string | undefined,
  id?: string,
): boolean {
  const comma = data.indexOf(",");
  const prefix = comma < 0 ? data : data.slice(0, comma);
  const opts = comma < 0 ? "" : data.slice(comma + 1);
  const mode: MonitoringMode = opts.includes("B") ? "barge" : /[wW]/.test(opts) ? "whisper" : "listen";
  const tpl = core.templates().spy[mode];
  const target = prefix ? core.state.findChannel(prefix) : undefined;
  const rw = new Rewriter();
  if (target) existingRole(rw, tpl.target, target);
  const extMap = newRole(core, rw, tpl.spy, ext);
  const cid = parseCallerId(callerId);
  rw.exact.set(tpl.callerIdNum, cid?.num ?? ext);
  rw.exact.set(tpl.callerIdName, cid?.name ?? core.names[ext] ?? "");
  const skip = new Set(target ? [tpl.target.uid, tpl.target.base, tpl.target.linked] : []);
  freshInstance(rw, collectIds([...tpl.start, ...tpl.stop]), core.alloc, extMap, skip);
  const spyUid = rw.ids.get(tpl.spy.uid) ?? "";
  const real = new Set(target ? [target.uid] : []);
  const fix: Post = (fields) => {
    if (get(fields, "Event") === "OriginateResponse") {
      set(fields, "Data", data);
      if (id !== undefined) fields.splice(3, 0, ["ActionID", id]);
    }
    // Nothing to spy on: no ChanSpyStart/Stop (the leg ends once its start has played, below).
    if (!target && (get(fields, "Event") === "ChanSpyStart" || get(fields, "Event") === "ChanSpyStop"))
      return undefined;
    return fields;
  };
  const post = compose(liveSubstitution(core, real), fix);
  const session: SpySession = {
    spyUid,
    targetUid: target?.uid ?? "",
    data,
    exitWithTarget: opts.includes("E"),
    stop: steps(tpl.stop, rw, post),
    stopped: false,
    instance: undefined as unknown as Instance,
  };
  core.state.spies.set(spyUid, session);
  session.instance = core.replays.playNow(steps(tpl.start, rw, post), () => {
    if (!target) stopSpy(core, session);
  });
  return true;
}

/** The spy ends: the rest of its start never plays, its stop sequence does. */
export function stopSpy(core: AmiCore, spy: SpySession): void {
  if (spy.stopped) return;
  spy.stopped = true;
  if (spy.instance.timer) clearTimeout(spy.instance.timer);
  core.replays.finish(spy.instance);
  core.replays.playNow(spy.stop, () => core.state.spies.delete(spy.spyUid));
}

/** After a Hangup went out: ChanSpy with E ends with its target; a hung-up spy leg is no session any more. */
export function spiesAfterHangup(core: AmiCore, uid: string | undefined): void {
  for (const spy of core.state.spies.values()) {
    if (spy.targetUid === uid && spy.exitWithTarget) stopSpy(core, spy);
    else if (spy.spyUid === uid) core.state.spies.delete(spy.spyUid);
  }
}

/** `"Name" <num>` or a bare number. */
function parseCallerId(cid: string | undefined): { name: string; num: string } | undefined {
  if (!cid) return undefined;
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(cid);
  if (m) return { name: m[1] ?? "", num: m[2] ?? "" };
  return { name: "", num: cid.trim() };
}
