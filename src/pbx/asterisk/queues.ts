// app_queue as Asterisk reports it, for AMI and ARI alike: which phone a queue member is, and the pause
// device states (`Queue:<queue>_pause_<interface>`) that are all an ARI-only deployment sees of pauses.

/**
 * The extension of a queue member's phone, from its interface or its state interface: FreePBX members are
 * `Local/1001@from-queue/n` with `hint:1001@ext-local`; plain ones `PJSIP/1001`. Undefined when neither
 * names one (a `Custom:` device, an agent channel).
 */
export function memberExtension(iface: string, stateInterface = ""): string | undefined {
  for (const name of [stateInterface, iface]) {
    const m = /^(?:hint:|Local\/|PJSIP\/|SIP\/|IAX2\/)([^@/;]+)/.exec(name);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** `Queue:400_pause_Local/1001@from-queue/n` -> queue 400, member `Local/1001@from-queue/n`. */
export function pauseDevice(device: string): { queue: string; agent: string } | undefined {
  if (!device.startsWith("Queue:")) return undefined;
  const at = device.indexOf("_pause_");
  if (at < 0) return undefined;
  const queue = device.slice("Queue:".length, at);
  const agent = device.slice(at + "_pause_".length);
  return queue && agent ? { queue, agent } : undefined;
}

/** A pause device is INUSE while the member is paused. */
export function pausedFromDeviceState(state: string): boolean | undefined {
  if (state === "INUSE") return true;
  if (state === "NOT_INUSE") return false;
  return undefined;
}

/**
 * The member a queue login adds (`QueueAdd`), as templates with `{extension}`: FreePBX's dynamic agents are
 * `Local/<ext>@from-queue/n` with their hint as the state interface (the pbx entry's `queueMember` changes it).
 */
export interface QueueMemberTemplate {
  interface: string;
  stateInterface: string;
}

export const FREEPBX_QUEUE_MEMBER: QueueMemberTemplate = {
  interface: "Local/{extension}@from-queue/n",
  stateInterface: "hint:{extension}@ext-local",
};

/** The interface and state interface of an extension's queue membership. */
export function queueMemberOf(
  template: QueueMemberTemplate,
  extension: string,
): { interface: string; stateInterface: string } {
  const fill = (t: string) => t.replaceAll("{extension}", extension);
  return { interface: fill(template.interface), stateInterface: fill(template.stateInterface) };
}
