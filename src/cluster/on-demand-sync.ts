// On-demand recording marks shared between instances. A user may start a recording through any
// instance, but the policy enforcer that must leave it alone runs on the PBX's owner (and the finalize
// job names the user who started it). So every mark an instance makes is published to the others and
// kept in a hash that an instance starting later (a future owner) loads.

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RecordingPolicyEnforcer } from "../recording/policy-enforcer.js";
import { recordingKeys } from "../redis-keys.js";

interface Mark {
  instance: string;
  pbx: string;
  callId: string;
  user: string | null;
}

const KEEP_SECONDS = 86_400;

/** Makes the enforcer's on-demand marks cluster-wide; returns a function that stops following the others. */
export async function shareOnDemandMarks(options: {
  enforcer: RecordingPolicyEnforcer;
  redis: Redis;
  prefix: string;
  instance: string;
  logger?: Logger;
}): Promise<() => Promise<void>> {
  const { enforcer, redis, prefix, instance, logger } = options;
  const { onDemand: channel, onDemandMarks: hash } = recordingKeys(prefix);
  const local = enforcer.applyMark.bind(enforcer);
  const field = (pbx: string, callId: string) => `${pbx}\u0000${callId}`;

  const existing = await redis.hgetall(hash);
  for (const [k, user] of Object.entries(existing)) {
    const sep = k.indexOf("\u0000");
    if (sep > 0 && user) local(k.slice(0, sep), k.slice(sep + 1), user);
  }

  const sub = redis.duplicate();
  sub.on("error", () => undefined);
  sub.on("message", (ch: string, message: string) => {
    if (ch !== channel) return;
    try {
      const m = JSON.parse(message) as Mark;
      if (m.instance !== instance) local(m.pbx, m.callId, m.user ?? undefined);
    } catch (err) {
      logger?.warn({ err }, "unreadable on-demand recording mark");
    }
  });
  await sub.subscribe(channel);

  const stopSharing = enforcer.onMark((pbx: string, callId: string, user: string | undefined): void => {
    const mark: Mark = { instance, pbx, callId, user: user ?? null };
    // Issued on the shared connection before the relayed command that follows it, so it arrives first.
    const write = redis.multi();
    if (user === undefined) write.hdel(hash, field(pbx, callId));
    else write.hset(hash, field(pbx, callId), user);
    write.expire(hash, KEEP_SECONDS).publish(channel, JSON.stringify(mark));
    write
      .exec()
      .catch((err) => logger?.warn({ err, pbx, callId }, "could not share an on-demand recording mark"));
  });

  return async () => {
    stopSharing();
    await sub.quit().catch(() => sub.disconnect());
  };
}
