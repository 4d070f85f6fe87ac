// How the recording policy is kept in Asterisk's AstDB, where dialplan/asterisk/callsight-recording.conf
// reads it: a family per kind, the extension (or trunk endpoint) as the key. RecordingPolicySync writes the keys on
// start, after every reconnect and on every change, and removes the ones a policy no longer has.
//   callsight/recording/<ext>             off | external | all
//   callsight/config/recording_options    MixMonitor's consent beep option, `B(<seconds>)` or empty
//   callsight/recording_options/<ext>     the same for an extension whose department overrides it
//   callsight/trunk/<endpoint>            1 for each trunk in callsight.yaml: a call entering there is external

import type { CommandOutcome } from "../driver.js";
import type { PolicyStorage } from "../recording-policy-sync.js";

export function astdbPolicyStorage(o: {
  /** Sends one AMI action (DBPut, DBDel) as a command. */
  action(action: string, headers: Record<string, string | undefined>): Promise<CommandOutcome>;
  /** The trunks the endpoint classifier knows, read whenever the keys are computed. */
  trunkNames(): readonly string[];
}): PolicyStorage {
  const split = (key: string) => {
    const at = key.lastIndexOf("/");
    return { Family: key.slice(0, at), Key: key.slice(at + 1) };
  };
  const beep = (seconds: number | undefined) => (seconds ? `B(${seconds})` : "");
  return {
    name: "AstDB",
    keysOf: (policy) => ({
      keys: [
        ...Object.entries(policy.extensions).map(([ext, value]) => ({
          key: `callsight/recording/${ext}`,
          value,
        })),
        { key: "callsight/config/recording_options", value: beep(policy.beepSeconds) },
        // The dialplan tells an outside caller by its endpoint: a call entering from a trunk is
        // external wherever it goes next (IVR, transfer, a Goto into the internal context).
        ...o.trunkNames().map((trunk) => ({
          key: `callsight/trunk/${trunk}`,
          value: "1",
        })),
        // An empty value is a real override ("no beep for this department"); a missing key falls back
        // to the global one.
        ...Object.entries(policy.beepByExtension ?? {}).map(([ext, seconds]) => ({
          key: `callsight/recording_options/${ext}`,
          value: beep(seconds),
        })),
      ],
      problems: [],
    }),
    put: (key, value) => o.action("DBPut", { ...split(key), Val: value }),
    remove: async (key) => {
      const outcome = await o.action("DBDel", split(key));
      return outcome.status === "failed" && /not found/i.test(outcome.message)
        ? { status: "accepted" }
        : outcome;
    },
  };
}
