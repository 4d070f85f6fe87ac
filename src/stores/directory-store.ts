// The directory lives in Redis once Callsight runs: callsight.yaml seeds it the first time, the admin
// API edits it, and every Callsight instance on the same Redis reloads it when it changes (pub/sub),
// so a switch flipped on one instance applies everywhere and survives restarts.

import type { Redis } from "ioredis";
import type { DirectoryDocument } from "../config/load.js";
import { directoryKeys } from "../redis-keys.js";

export interface StoredDirectory {
  version: number;
  document: DirectoryDocument;
}

export class DirectoryConflictError extends Error {}

export class DirectoryStore {
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const keys = directoryKeys(prefix);
    this.key = keys.directory;
    this.channel = keys.changed;
  }

  async load(): Promise<StoredDirectory | undefined> {
    const text = await this.redis.get(this.key);
    return text ? (JSON.parse(text) as StoredDirectory) : undefined;
  }

  /** Stores the document only if no directory is stored yet. Returns what is stored afterwards. */
  async seed(document: DirectoryDocument): Promise<StoredDirectory> {
    const stored: StoredDirectory = { version: 1, document };
    await this.redis.set(this.key, JSON.stringify(stored), "NX");
    return (await this.load()) ?? stored;
  }

  /**
   * Replaces the document if the stored version is still `expectedVersion` (optimistic concurrency
   * between instances), then tells every instance.
   */
  async replace(document: DirectoryDocument, expectedVersion: number): Promise<StoredDirectory> {
    const next: StoredDirectory = { version: expectedVersion + 1, document };
    // Compare-and-set in one script so two instances cannot both win.
    const ok = await this.redis.eval(
      `local cur = redis.call('GET', KEYS[1])
       if cur and cjson.decode(cur).version ~= tonumber(ARGV[1]) then return 0 end
       redis.call('SET', KEYS[1], ARGV[2])
       redis.call('PUBLISH', KEYS[2], ARGV[3])
       return 1`,
      2,
      this.key,
      this.channel,
      String(expectedVersion),
      JSON.stringify(next),
      String(next.version),
    );
    if (ok !== 1) throw new DirectoryConflictError("the directory changed meanwhile; retry");
    return next;
  }

  /**
   * Calls `onChange` with the new stored directory whenever any instance changes it, and once more each
   * time the subscription comes back after Redis was away (a change announced meanwhile was missed).
   */
  async subscribe(onChange: (stored: StoredDirectory) => void): Promise<() => Promise<void>> {
    const sub = this.redis.duplicate();
    const reload = () => {
      this.load().then(
        (stored) => {
          if (stored) onChange(stored);
        },
        () => undefined,
      );
    };
    // While Redis is away the connection reports every failed attempt: the server's /readyz says Redis is
    // unreachable; without a listener ioredis would print each one as an unhandled error.
    sub.on("error", () => undefined);
    await sub.subscribe(this.channel);
    sub.on("message", reload);
    // ioredis subscribes again on its own after a reconnect (every "ready" from here on is one); the
    // directory may have changed meanwhile.
    sub.on("ready", reload);
    return async () => {
      await sub.quit().catch(() => undefined);
    };
  }
}
