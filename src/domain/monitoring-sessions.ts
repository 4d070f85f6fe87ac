// Monitoring sessions: a supervisor's listen / whisper / barge leg on someone's call. The session is recorded
// on the monitored call; the supervisor's own leg stops being a call of its own.

import type { ApplyContext } from "./apply-context.js";
import { type Call, type Leg, legKey, type MonitoringSession } from "./calls.js";

/** `spy` starts (or changes the mode of) a session on the call `target` is in. */
export function startMonitoring(
  calls: ReadonlyMap<string, Call>,
  spy: Leg,
  target: Leg,
  mode: MonitoringSession["mode"],
  at: number,
  ctx: ApplyContext,
): void {
  const pbx = spy.pbx;
  const call = calls.get(legKey(pbx, target.callId));
  if (!call) return;
  const active = call.monitoring.find((s) => s.spyLeg === spy.id && s.endedAt === undefined);
  if (active) {
    active.mode = mode;
  } else {
    const session: MonitoringSession = {
      spyLeg: spy.id,
      byNumber: spy.number,
      targetLeg: target.id,
      mode,
      startedAt: at,
    };
    if (spy.user) session.by = spy.user;
    if (target.user) session.target = target.user;
    call.monitoring.push(session);
  }
  const already = spy.monitors !== undefined;
  spy.monitors = { target: target.id, mode };
  // The supervisor's own leg stops being a call of its own: it is a session on the monitored call.
  const spyCallKey = legKey(pbx, spy.callId);
  ctx.touchedCalls.delete(spyCallKey);
  if (!already) ctx.gone.push({ pbx, id: spy.callId, users: spy.user === undefined ? [] : [spy.user] });
  ctx.touchedCalls.add(legKey(pbx, call.id));
  if (spy.user) ctx.touchedUsers.add(spy.user);
}

/** The sessions `spy` runs end at `at`. */
export function stopMonitoring(
  legs: ReadonlyMap<string, Leg>,
  calls: ReadonlyMap<string, Call>,
  spy: Leg,
  at: number,
  ctx: ApplyContext,
): void {
  if (!spy.monitors) return;
  const target = legs.get(legKey(spy.pbx, spy.monitors.target));
  const callId = target?.callId;
  for (const call of calls.values()) {
    if (call.pbx !== spy.pbx || (callId !== undefined && call.id !== callId)) continue;
    for (const s of call.monitoring) {
      if (s.spyLeg === spy.id && s.endedAt === undefined) {
        s.endedAt = at;
        ctx.touchedCalls.add(legKey(call.pbx, call.id));
      }
    }
  }
  if (spy.user) ctx.touchedUsers.add(spy.user);
}
