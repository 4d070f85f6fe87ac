// Click-to-call in the ESL simulator: `originate {…}user/<caller>@<domain> <destination> XML <context>`
// rings the caller's phone and, once it answers (the job's `+OK <uuid>`), its leg runs the dialplan and
// bridges the destination as a phone's own call would (esl-commands.ts, dialTemplate): an extension of
// the simulator, or an outside number over the gateway. The call is held once bridged (a test or a
// uuid_kill ends it). Anything else has no route.

import { type EslCore, eslRewriter, steps } from "./command-kit.js";

export function dial(core: EslCore, ext: string, destination: string): Promise<string> {
  const extension = core.extensions.includes(destination);
  if (!extension && !/^\+?\d{7,}$/.test(destination)) return Promise.resolve("-ERR NO_ROUTE_DESTINATION\n");
  const t = core.templates().dial[extension ? "extension" : "outside"];
  const rw = eslRewriter();
  for (const from of t.callerExts) rw.ext(from, ext);
  if (extension) rw.ext(t.dialled, destination);
  else rw.values.set(t.dialled, destination);
  const caller = rw.id(t.caller);
  const part = steps(t.part, rw);
  const tail = steps(t.tail, rw, (part[part.length - 1]?.at ?? 0) + 500);
  return new Promise((resolve) => {
    const inst = core.replays.playNow([...part, ...tail]);
    // Held once both talk: the rest (the hang-up) waits for a resume.
    inst.pauseAt = part.length;
    inst.job = { leg: caller, resolve };
  });
}
