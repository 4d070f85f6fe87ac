// How the recording policy is kept in FreeSWITCH's db (mod_db), where dialplan/freeswitch/callsight.xml
// reads it: a realm per kind, the extension (or profile) as the key. RecordingPolicySync writes the keys on
// start, after every reconnect and on every change, and removes the ones a policy no longer has.
//   callsight_recording/<ext>              off | external | all
//   callsight_config/recording_beep        consent beep interval in seconds (0 = none)
//   callsight_recording_beep/<ext>         the same for an extension whose department overrides it
//   callsight_external_profile/<profile>   true: a leg of this sofia profile is an outside party (a carrier),
//                                          as Callsight classifies it, so an outside caller the IVR or a
//                                          transfer sends on into the extension internal calls take still
//                                          counts as outside for `external`

import type { CommandOutcome } from "../driver.js";
import type { PolicyKey, PolicyStorage } from "../recording-policy-sync.js";

const SAFE_KEY = /^[A-Za-z0-9_*#+.@-]+$/;

export function eslPolicyStorage(o: {
  api(command: string): Promise<CommandOutcome>;
  /** Sofia profiles facing carriers (the driver's `externalProfiles`). */
  externalProfiles: readonly string[];
}): PolicyStorage {
  const seconds = (s: number | undefined) => String(Math.max(0, Math.floor(s ?? 0)));
  return {
    name: "the FreeSWITCH db",
    keysOf: (policy) => {
      const problems: string[] = [];
      const usable = (what: string, name: string) => {
        // `db` takes slash-separated arguments: a key with a slash or a space would be another command.
        if (SAFE_KEY.test(name)) return true;
        problems.push(`${what} ${JSON.stringify(name)}: not a usable db key`);
        return false;
      };
      const keys: PolicyKey[] = [];
      for (const [ext, value] of Object.entries(policy.extensions)) {
        if (usable("extension", ext)) keys.push({ key: `callsight_recording/${ext}`, value });
      }
      keys.push({ key: "callsight_config/recording_beep", value: seconds(policy.beepSeconds) });
      for (const [ext, s] of Object.entries(policy.beepByExtension ?? {})) {
        if (usable("extension", ext))
          keys.push({ key: `callsight_recording_beep/${ext}`, value: seconds(s) });
      }
      for (const profile of o.externalProfiles) {
        if (usable("profile", profile))
          keys.push({ key: `callsight_external_profile/${profile}`, value: "true" });
      }
      return { keys, problems };
    },
    put: (key, value) => o.api(`db insert/${key}/${value}`),
    remove: (key) => o.api(`db delete/${key}`),
  };
}
