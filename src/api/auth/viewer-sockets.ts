// The board streams open on this instance, by the token that opened them: a stream ends (close code 4401
// with the reason) when its token is revoked on any instance, when it expires, or when its user is
// deleted — a viewer keeps nothing live they are no longer entitled to.

import type { Logger } from "pino";
import type { Directory } from "../../domain/directory.js";
import type { ResolvedToken, Revocation, TokenStore } from "./token-store.js";

/** The close code of a stream whose credentials ended (the board then asks for a token again). */
export const CLOSE_UNAUTHORIZED = 4401;

export interface ClosableSocket {
  close(code: number, reason: string): void;
}

interface Entry {
  socket: ClosableSocket;
  user: string;
  token: ResolvedToken;
  expiry?: ReturnType<typeof setTimeout>;
}

/** setTimeout's longest delay; a later expiry is re-armed when it fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class ViewerSockets {
  private readonly entries = new Set<Entry>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly tokens: TokenStore,
    private readonly directory: () => Directory,
    private readonly logger: Logger,
  ) {}

  /** Listens for revocations from every instance. */
  async start(): Promise<void> {
    try {
      const stop = await this.tokens.onRevoked(
        (r) => this.revoked(r),
        () => void this.recheck(),
      );
      if (this.closed) stop();
      else this.unsubscribe = stop;
    } catch (err) {
      // Redis away at start: streams still end on expiry and on a user's deletion; revocations are
      // checked again when the subscription comes back.
      this.logger.warn({ err }, "cannot listen for token revocations yet");
    }
  }

  /** Registers a stream; the returned function forgets it (call it when the socket closes). */
  add(socket: ClosableSocket, user: string, token: ResolvedToken): () => void {
    const entry: Entry = { socket, user, token };
    this.entries.add(entry);
    if (token.expiresAt !== undefined) this.armExpiry(entry, token.expiresAt);
    return () => this.forget(entry);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A revocation announced by any instance. */
  revoked(revocation: Revocation): void {
    const ids = new Set(revocation.ids);
    for (const entry of [...this.entries]) {
      if (ids.has(entry.token.id)) this.end(entry, revocation.reason);
    }
  }

  /** The directory changed: streams of users who are gone end. */
  directoryChanged(): void {
    const users = this.directory().users;
    for (const entry of [...this.entries]) {
      if (!users.has(entry.user)) this.end(entry, "user deleted");
    }
  }

  /** Checks every open stream's token in Redis (after a revocation may have been missed). */
  async recheck(): Promise<void> {
    const entries = [...this.entries];
    if (entries.length === 0) return;
    let valid: Map<string, unknown>;
    try {
      valid = await this.tokens.stillValid([...new Set(entries.map((e) => e.token.hash))]);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!valid.has(entry.token.hash)) this.end(entry, "token revoked");
    }
    this.directoryChanged();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const entry of this.entries) if (entry.expiry) clearTimeout(entry.expiry);
    this.entries.clear();
  }

  private armExpiry(entry: Entry, expiresAt: number): void {
    const left = expiresAt - this.tokens.now();
    if (left <= 0) {
      this.end(entry, "token expired");
      return;
    }
    entry.expiry = setTimeout(() => this.armExpiry(entry, expiresAt), Math.min(left, MAX_DELAY_MS));
    entry.expiry.unref?.();
  }

  private end(entry: Entry, reason: string): void {
    if (!this.entries.has(entry)) return;
    this.forget(entry);
    this.logger.info({ user: entry.user, token: entry.token.id, reason }, "closing a board stream");
    try {
      entry.socket.close(CLOSE_UNAUTHORIZED, reason);
    } catch {
      // Already closing.
    }
  }

  private forget(entry: Entry): void {
    if (entry.expiry) clearTimeout(entry.expiry);
    this.entries.delete(entry);
  }
}
