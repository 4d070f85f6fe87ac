// The ARI REST calls Callsight makes, over plain HTTP (Node's fetch) with this connection's own Basic
// credentials, a timeout per request, and the HTTP status kept. ari-client's swagger-generated client
// was measured and replaced (see README "Why not ari-client"): it registers credentials in
// swagger-client's process-wide `authorizations` (a second PBX overwrites the first one's), loses the
// status code of an error (404 vs 409 matters here), has no request timeout, and fetches the whole
// swagger 1.1 resource listing (12 documents) on every connect.

export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** Asterisk's own `message` when it sent one (e.g. "Channel not found"). */
    readonly ariMessage: string,
  ) {
    super(
      status === 0
        ? `ARI ${method} ${path}: ${ariMessage}`
        : `ARI ${method} ${path}: ${status}${ariMessage ? ` ${ariMessage}` : ""}`,
    );
    this.name = "AriHttpError";
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface AriHttpOptions {
  /** `http://host:port` (no `/ari`). */
  baseUrl: string;
  username: string;
  secret: string;
  /** Default time one request may take. Default 10 s. */
  timeoutMs?: number;
}

export interface AriRequestOptions {
  query?: Query;
  body?: unknown;
  timeoutMs?: number;
  /** Aborts the request (the driver aborts every request of a session when its WebSocket closes). */
  signal?: AbortSignal;
}

export class AriHttp {
  private readonly authorization: string;
  /** Requests sent (for tests and metrics). */
  requests = 0;

  constructor(private readonly options: AriHttpOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.secret}`).toString("base64")}`;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  get<T>(path: string, options: AriRequestOptions = {}): Promise<T> {
    return this.request<T>("GET", path, options);
  }

  post<T>(path: string, options: AriRequestOptions = {}): Promise<T> {
    return this.request<T>("POST", path, options);
  }

  delete<T>(path: string, options: AriRequestOptions = {}): Promise<T> {
    return this.request<T>("DELETE", path, options);
  }

  async request<T>(method: string, path: string, options: AriRequestOptions = {}): Promise<T> {
    const url = new URL(`/ari${path}`, this.options.baseUrl);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const headers: Record<string, string> = { authorization: this.authorization, accept: "application/json" };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    this.requests++;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal });
    } catch (err) {
      const reason = timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : options.signal?.aborted
          ? String(options.signal.reason instanceof Error ? options.signal.reason.message : "aborted")
          : causeOf(err);
      throw new AriHttpError(0, method, path, reason);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) {
      let message = "";
      try {
        const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
        message = String(parsed.message ?? parsed.error ?? "");
      } catch {
        message = text.slice(0, 200);
      }
      if (!message) message = response.statusText;
      throw new AriHttpError(response.status, method, path, message);
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AriHttpError(response.status, method, path, `answer is not JSON: ${text.slice(0, 80)}`);
    }
  }
}

/** One path segment of a request: a channel, bridge, recording or device state name. */
export function enc(s: string): string {
  return encodeURIComponent(s);
}

function causeOf(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  if (e.cause?.code) return `${e.cause.code}${e.cause.message ? ` (${e.cause.message})` : ""}`;
  return e.message ?? String(err);
}
