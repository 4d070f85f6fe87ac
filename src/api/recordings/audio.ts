// Playing and downloading a stored recording:
//   POST /v1/recordings/:id/play      (bearer token) -> { url, expiresAt }: a link to play it in the page
//   POST /v1/recordings/:id/download  (bearer token) -> { url, expiresAt, fileName }: a link to save it
//   GET  /v1/recordings/:id/audio?grant=…[&download=1]  the audio, with HTTP Range, on such a link
//
// Why links: the board calls the API with a bearer token in fetch, but an <audio src> (or a download link)
// cannot send a header, and the token must not go into a URL (authenticate.ts: it would end up in proxy logs
// and the browser's history). Fetching the whole file into a Blob would work, but without Range (no seeking
// before it is all loaded, a long recording held in the page's memory). So the authenticated POST checks the
// viewer's right and hands out a link that is good for ONE recording, ONE purpose (play or download), ONE
// viewer, and a short time: a random grant of 256 bits, kept in Redis only as its SHA-256 (like the tokens),
// shared by every instance. It expires after GRANT_IDLE_MS without a request (each request of a playing
// <audio> pushes that on, so a long recording plays to its end) and GRANT_MAX_MS after it was issued, at the
// latest. Each request on it checks again that the token it was issued with is still valid (a revoked token
// ends its links) and that the viewer may still see the recording (the directory may have changed).
//
// Auditing: the POST writes the entry (`recording.play` / `recording.download`, the viewer, `recording:<id>`),
// one per play or download the viewer starts. A browser makes several Range requests per play (and more when
// seeking); none of them writes. Since audio is served on nothing but a grant, and a grant only comes with
// an audit entry, every byte served is covered by exactly one entry. A refused request (a recording the
// viewer may not see, or that does not exist: the same 404) is audited too, as `refused`.
//
// No oracle: a recording the viewer may not see answers exactly like an unknown id (404, the same body); a
// grant that is unknown, expired, or for another recording or purpose, answers the same 401 whatever the id.
// Nothing in an answer names the server's path, the stored file name or any field the viewer may not see:
// the download's file name is made of the start time (which every viewer of the recording sees) and its id.

import { createHash, randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Directory, User } from "../../domain/directory.js";
import type { RecordingIndex } from "../../recording/recording-index.js";
import type { RecordingMetadata, RecordingStore } from "../../recording/recording-store.js";
import { recordingFor } from "../../recording/recording-visibility.js";
import { recordingKeys } from "../../redis-keys.js";
import type { AuditLog } from "../../stores/audit-log.js";
import type { TokenStore } from "../auth/token-store.js";
import { parseOr400 } from "../http-errors.js";

/** A link expires after this long without a request. */
export const GRANT_IDLE_MS = 5 * 60_000;
/** …and this long after it was issued, whatever happens. */
export const GRANT_MAX_MS = 4 * 60 * 60_000;

export type Purpose = "play" | "download";

/** What a grant allows, as kept in Redis (under the SHA-256 of the grant). */
interface GrantRecord {
  recording: string;
  user: string;
  purpose: Purpose;
  /** The hash of the token it was issued with: revoking the token ends the link. */
  credential?: string;
  /** ms since epoch: expired after this, unless used before (each use moves it on). */
  expiresAt: number;
  /** ms since epoch: expired after this, used or not. */
  until: number;
}

export interface GrantOptions {
  idleMs?: number;
  maxMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class RecordingGrants {
  private readonly keys: ReturnType<typeof recordingKeys>;
  private readonly idleMs: number;
  private readonly maxMs: number;
  readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: GrantOptions = {},
  ) {
    this.keys = recordingKeys(prefix);
    this.idleMs = options.idleMs ?? GRANT_IDLE_MS;
    this.maxMs = options.maxMs ?? GRANT_MAX_MS;
    this.now = options.now ?? Date.now;
  }

  /** A new grant for one recording, viewer and purpose; returns it (the only time it is seen). */
  async issue(
    what: Pick<GrantRecord, "recording" | "user" | "purpose" | "credential">,
  ): Promise<{ grant: string; expiresAt: number }> {
    const grant = randomBytes(32).toString("base64url");
    const now = this.now();
    const record: GrantRecord = { ...what, expiresAt: now + this.idleMs, until: now + this.maxMs };
    await this.redis.set(this.keys.grant(sha256(grant)), JSON.stringify(record), "PX", this.idleMs);
    return { grant, expiresAt: record.expiresAt };
  }

  /** The grant's record if it is valid for `recording`, now; moves its expiry on. */
  async use(grant: string, recording: string): Promise<GrantRecord | undefined> {
    const key = this.keys.grant(sha256(grant));
    const text = await this.redis.get(key);
    if (!text) return undefined;
    const record = JSON.parse(text) as GrantRecord;
    const now = this.now();
    if (record.recording !== recording) return undefined;
    if (now > record.expiresAt || now > record.until) {
      await this.redis.del(key);
      return undefined;
    }
    // Moved on at most once per half idle time (a playing <audio> asks for a range every few seconds).
    const next = Math.min(now + this.idleMs, record.until);
    if (next - record.expiresAt >= this.idleMs / 2) {
      record.expiresAt = next;
      await this.redis.set(key, JSON.stringify(record), "PX", Math.max(1, next - now));
    }
    return record;
  }
}

// ---- HTTP Range (RFC 9110 §14) -------------------------------------------------------------------------

export type RangeAnswer =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * The single byte range a `Range` header asks for, of a representation of `size` bytes: `bytes=a-b`,
 * `bytes=a-`, `bytes=-n`. What is not one valid byte range (another unit, bad syntax, b < a, several ranges)
 * is ignored, as RFC 9110 allows: the whole representation is sent. A range starting past the end, or a
 * suffix of 0 bytes, cannot be satisfied.
 */
export function byteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "full" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: "full" };
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

// ---- What a viewer may play ----------------------------------------------------------------------------

/** The recording if `viewer` may list it (the list's rule: admins all, others recording-visibility.ts). */
export async function playableRecording(
  index: RecordingIndex,
  directory: Directory,
  viewer: User,
  id: string,
): Promise<RecordingMetadata | undefined> {
  const metadata = await index.get(id);
  if (!metadata) return undefined;
  const me = directory.users.get(viewer.id) ?? viewer;
  return recordingFor(directory, me, metadata) === undefined ? undefined : metadata;
}

/** `callsight-recording-2024-05-01-120000Z-<id>.wav`: the start time (UTC) and the id, nothing else. */
export function downloadName(metadata: Pick<RecordingMetadata, "id" | "startedAt">): string {
  const at = new Date(metadata.startedAt).toISOString(); // 2024-05-01T12:00:00.000Z
  const stamp = `${at.slice(0, 10)}-${at.slice(11, 19).replaceAll(":", "")}Z`;
  return `callsight-recording-${stamp}-${metadata.id.replace(/[^A-Za-z0-9_-]/g, "_")}.wav`;
}

/** The content type of the stored audio: every stored recording is a RIFF/WAVE file (PCM, A-law or µ-law). */
export function contentTypeOf(_metadata: RecordingMetadata): string {
  return "audio/wav";
}

export interface PlaybackDeps {
  index: RecordingIndex;
  store: RecordingStore;
  grants: RecordingGrants;
  audit: AuditLog;
  tokens: TokenStore;
  directory: () => Directory;
}

const params = z.strictObject({ id: z.string().min(1).max(200) });

const audioQuery = z.strictObject({
  grant: z.string().min(1).max(200),
  download: z.literal("1").optional(),
});

const NOT_FOUND = { error: "not-found", message: "no such recording" } as const;

function refusedLink(reply: FastifyReply): FastifyReply {
  return reply.code(401).send({
    error: "unauthorized",
    message:
      "this link is unknown, expired or not for this recording: ask for a new one (POST /v1/recordings/{id}/play or /download)",
  });
}

/** POST /v1/recordings/:id/play and /download: on the authenticated scope (request.viewer is set). */
export function playbackRoutes(app: FastifyInstance, deps: PlaybackDeps): void {
  for (const purpose of ["play", "download"] as const) {
    app.post(`/v1/recordings/:id/${purpose}`, async (request, reply) => {
      const p = parseOr400(params, request.params, reply);
      if (!p) return reply;
      const viewer = request.viewer;
      if (!viewer)
        return reply.code(401).send({ error: "unauthorized", message: "a bearer token is required" });
      const metadata = await playableRecording(deps.index, deps.directory(), viewer, p.id);
      const action = `recording.${purpose}`;
      const target = `recording:${p.id}`;
      if (!metadata) {
        await deps.audit.append({
          actor: viewer.id,
          action,
          target,
          outcome: "refused",
          reason: "not-found",
        });
        return reply.code(404).send(NOT_FOUND);
      }
      const { grant, expiresAt } = await deps.grants.issue({
        recording: metadata.id,
        user: viewer.id,
        purpose,
        ...(request.credential ? { credential: request.credential.hash } : {}),
      });
      await deps.audit.append({ actor: viewer.id, action, target, outcome: "allowed" });
      const query = new URLSearchParams({ grant });
      if (purpose === "download") query.set("download", "1");
      const url = `/v1/recordings/${encodeURIComponent(metadata.id)}/audio?${query}`;
      return purpose === "download"
        ? { url, expiresAt, fileName: downloadName(metadata) }
        : { url, expiresAt };
    });
  }
}

/** Strong validator: the stored audio's checksum (it never changes once stored) and its size. */
function etagOf(metadata: RecordingMetadata, size: number): string {
  return `"${metadata.sha256.slice(0, 32)}-${size.toString(16)}"`;
}

/**
 * GET /v1/recordings/:id/audio: NOT on the bearer-authenticated scope (an <audio> cannot send the token);
 * the grant in the query is the credential. Streamed from the store, one range at a time.
 */
export function audioRoute(app: FastifyInstance, deps: PlaybackDeps): void {
  const root = resolve(deps.store.root);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const p = parseOr400(params, request.params, reply);
    if (!p) return reply;
    const query = request.query as { grant?: unknown };
    if (query.grant === undefined) {
      return reply.code(401).send({
        error: "unauthorized",
        message:
          "audio is served on a link: POST /v1/recordings/{id}/play (or /download) with the bearer token gives one",
      });
    }
    const q = parseOr400(audioQuery, request.query, reply);
    if (!q) return reply;
    const grant = await deps.grants.use(q.grant, p.id);
    if (!grant || (q.download === "1") !== (grant.purpose === "download")) return refusedLink(reply);
    if (grant.credential !== undefined) {
      const valid = await deps.tokens.stillValid([grant.credential]);
      if (!valid.has(grant.credential)) return refusedLink(reply);
    }
    const directory = deps.directory();
    const viewer = directory.users.get(grant.user);
    if (!viewer) return refusedLink(reply);
    const metadata = await playableRecording(deps.index, directory, viewer, p.id);
    if (!metadata) return reply.code(404).send(NOT_FOUND);

    const path = resolve(root, metadata.file);
    if (!path.startsWith(root + sep)) {
      request.log.error({ recording: metadata.id }, "recording's stored file lies outside the store");
      return reply.code(404).send(NOT_FOUND);
    }
    const handle = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (!handle) {
      request.log.warn({ recording: metadata.id }, "recording indexed but its audio is not in the store");
      return reply.code(404).send(NOT_FOUND);
    }
    let streaming = false;
    try {
      const st = await handle.stat();
      const size = st.size;
      const etag = etagOf(metadata, size);
      const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
      reply
        .header("accept-ranges", "bytes")
        .header("etag", etag)
        .header("last-modified", lastModified)
        // A recording stays out of shared and disk caches.
        .header("cache-control", "private, no-store");
      if (grant.purpose === "download") {
        reply.header("content-disposition", `attachment; filename="${downloadName(metadata)}"`);
      }
      const ifNoneMatch = request.headers["if-none-match"];
      if (ifNoneMatch?.split(",").some((t) => t.trim() === etag)) {
        return reply.code(304).send();
      }
      // If-Range: the range only applies to the representation the client has (else it gets it whole).
      const ifRange = request.headers["if-range"];
      const rangeHeader =
        ifRange === undefined || ifRange === etag || ifRange === lastModified
          ? request.headers.range
          : undefined;
      const range = byteRange(rangeHeader, size);
      if (range.kind === "unsatisfiable") {
        return reply
          .code(416)
          .header("content-range", `bytes */${size}`)
          .send({ error: "range-not-satisfiable", message: `the recording has ${size} bytes` });
      }
      const [start, end] = range.kind === "partial" ? [range.start, range.end] : [0, size - 1];
      reply
        .code(range.kind === "partial" ? 206 : 200)
        .type(contentTypeOf(metadata))
        .header("content-length", String(Math.max(0, end - start + 1)));
      if (range.kind === "partial") reply.header("content-range", `bytes ${start}-${end}/${size}`);
      if (request.method === "HEAD" || size === 0) return reply.send();
      streaming = true;
      // The stream closes the file when it ends or fails; a client that goes away destroys it.
      return reply.send(handle.createReadStream({ start, end, highWaterMark: 64 * 1024 }));
    } finally {
      if (!streaming) await handle.close();
    }
  };
  // HEAD on its own (Fastify's automatic one would read the whole file to throw it away).
  app.get("/v1/recordings/:id/audio", { exposeHeadRoute: false }, handler);
  app.head("/v1/recordings/:id/audio", handler);
}
