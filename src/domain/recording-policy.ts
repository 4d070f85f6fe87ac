// Which calls the policy requires to be recorded, and because of whom.

import type { Directory } from "./directory.js";
import type { CallView } from "./live-model.js";

export interface RecordingRequirement {
  required: boolean;
  /** The users whose `recording` setting requires it. */
  because: string[];
}

/**
 * Only the parties who answered count: a phone that rang while a colleague picked the call up never
 * spoke in it, so its policy neither asks for the recording nor has it charged to it.
 */
export function mustRecord(directory: Directory, call: Pick<CallView, "talkers">): RecordingRequirement {
  const external = call.talkers.some((p) => p.external);
  const because: string[] = [];
  for (const party of call.talkers) {
    if (!party.user) continue;
    const policy = directory.users.get(party.user)?.settings.recording ?? "off";
    if (policy === "all" || (policy === "external" && external)) {
      if (!because.includes(party.user)) because.push(party.user);
    }
  }
  return { required: because.length > 0, because };
}
