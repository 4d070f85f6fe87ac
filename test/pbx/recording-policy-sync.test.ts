import { describe, expect, it } from "vitest";
import type { CommandOutcome, RecordingPolicyTable } from "../../src/pbx/driver.js";
import { type PolicyStorage, RecordingPolicySync } from "../../src/pbx/recording-policy-sync.js";

/** A PBX store that answers each command on a later tick, and can go away after N commands. */
function store() {
  const data = new Map<string, string>();
  const log: string[] = [];
  let budget = Number.POSITIVE_INFINITY;
  const answer = async (run: () => CommandOutcome): Promise<CommandOutcome> => {
    await new Promise((r) => setTimeout(r, 1));
    if (budget <= 0) return { status: "failed", message: "not connected" };
    budget--;
    return run();
  };
  const storage: PolicyStorage = {
    name: "the test store",
    keysOf: (p) => ({
      keys: [
        ...Object.entries(p.extensions).map(([ext, value]) => ({ key: `rec/${ext}`, value })),
        { key: "config/beep", value: String(p.beepSeconds ?? 0) },
      ],
      problems: [],
    }),
    put: (key, value) =>
      answer(() => {
        log.push(`put ${key}=${value}`);
        data.set(key, value);
        return { status: "accepted" };
      }),
    remove: (key) =>
      answer(() => {
        log.push(`remove ${key}`);
        data.delete(key);
        return { status: "accepted" };
      }),
  };
  return {
    data,
    log,
    storage,
    goAwayAfter(n: number) {
      budget = n;
    },
    comeBack() {
      budget = Number.POSITIVE_INFINITY;
    },
  };
}

/** Lets a write that was asked for begin (it starts on a later microtask). */
const started = () => new Promise((r) => setImmediate(r));

const policy = (extensions: Record<string, string>, beepSeconds?: number): RecordingPolicyTable =>
  ({ extensions, ...(beepSeconds !== undefined ? { beepSeconds } : {}) }) as RecordingPolicyTable;

describe("RecordingPolicySync", () => {
  it("never interleaves two writes: the newest policy is what stays", async () => {
    const s = store();
    const sync = new RecordingPolicySync(s.storage);
    const first = sync.publish(policy({ "1001": "all", "1002": "external", "1003": "all" }), true);
    await started();
    // Published while the first write runs (e.g. an admin change during the connect-time write).
    const second = sync.publish(policy({ "1001": "off", "1002": "off", "1003": "off" }, 15), true);
    expect(await first).toMatchObject({ status: "accepted" });
    expect(await second).toMatchObject({ status: "accepted", detail: "3 extensions" });
    expect(Object.fromEntries(s.data)).toEqual({
      "rec/1001": "off",
      "rec/1002": "off",
      "rec/1003": "off",
      "config/beep": "15",
    });
    // The first write ran to its end before the second began.
    expect(s.log).toEqual([
      "put rec/1001=all",
      "put rec/1002=external",
      "put rec/1003=all",
      "put config/beep=0",
      "put rec/1001=off",
      "put rec/1002=off",
      "put rec/1003=off",
      "put config/beep=15",
    ]);
  });

  it("calls made while a write waits share it", async () => {
    const s = store();
    const sync = new RecordingPolicySync(s.storage);
    const running = sync.publish(policy({ "1001": "all" }), true);
    await started();
    const a = sync.publish(policy({ "1001": "external" }), true);
    const b = sync.publish(policy({ "1001": "off" }), true);
    expect(a).toBe(b);
    await Promise.all([running, a]);
    expect(s.log.filter((l) => l.startsWith("put rec/1001"))).toEqual([
      "put rec/1001=all",
      "put rec/1001=off",
    ]);
  });

  it("removes keys a write cut off half-way had already stored", async () => {
    const s = store();
    const sync = new RecordingPolicySync(s.storage);
    void sync.publish(policy({ "1001": "all", "1002": "external" }), false);
    // The PBX goes away after two puts: 1001 and 1002 are stored, the beep is not.
    s.goAwayAfter(2);
    expect(await sync.write()).toEqual({ status: "failed", message: "put config/beep: not connected" });
    expect(s.data.get("rec/1002")).toBe("external");
    // Back, and 1002 has left the policy meanwhile: it goes from the PBX too.
    s.comeBack();
    expect(await sync.publish(policy({ "1001": "off" }), true)).toMatchObject({ status: "accepted" });
    expect(Object.fromEntries(s.data)).toEqual({ "rec/1001": "off", "config/beep": "0" });
  });

  it("keeps trying to remove a key until a remove succeeds", async () => {
    const s = store();
    const sync = new RecordingPolicySync(s.storage);
    await sync.publish(policy({ "1001": "all", "1002": "all" }), true);
    void sync.publish(policy({ "1001": "all" }), false);
    s.goAwayAfter(2);
    expect(await sync.write()).toEqual({ status: "failed", message: "remove rec/1002: not connected" });
    s.comeBack();
    await sync.write();
    expect(s.data.has("rec/1002")).toBe(false);
    // Once removed it is not removed again.
    s.log.length = 0;
    await sync.write();
    expect(s.log.some((l) => l.startsWith("remove"))).toBe(false);
  });

  it("writes nothing before it has a policy; one published while away is written on connect", async () => {
    const s = store();
    const sync = new RecordingPolicySync(s.storage);
    sync.connected();
    expect(await sync.write()).toEqual({ status: "accepted" });
    expect(s.log).toEqual([]);
    expect(await sync.publish(policy({ "1001": "all" }), false)).toEqual({
      status: "accepted",
      detail: "kept; written to the test store on connect",
    });
    expect(s.log).toEqual([]);
    sync.connected();
    await sync.write();
    expect(s.data.get("rec/1001")).toBe("all");
  });
});
