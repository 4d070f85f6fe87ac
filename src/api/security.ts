// Web hardening for every response: security headers with a strict Content-Security-Policy (the pages load
// only their own scripts and stylesheets: no inline script or style, no eval, no framing), and the Origin
// check that keeps other sites' pages from opening a WebSocket to Callsight (cross-site WebSocket hijacking).

import helmet from "@fastify/helmet";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The Content-Security-Policy of every response; the board and the admin console work under it. */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'"],
  // The API and the board's WebSocket, same origin only ('self' covers ws: / wss: to the same host).
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * Security headers on every response, 401s and 404s included: registered first, so that no hook or
 * handler answers before them.
 */
export async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // Callsight serves plain HTTP; HSTS belongs on the TLS proxy in front of it, which knows the host names.
    strictTransportSecurity: false,
  });
}

/** `https://Board.Example.com:443` -> `https://board.example.com`; undefined for anything but an http(s) origin. */
export function normalOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** Whether an `Origin` is the request's own: the same host and port as the request's Host. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  const o = normalOrigin(origin);
  if (!o || !host) return false;
  const own = normalOrigin(`${new URL(o).protocol}//${host}`);
  return own === o;
}

/**
 * WebSocket upgrades are refused with 403, before the upgrade and before the token is looked at, when
 * they come with an `Origin` that is not allowed: `allowedOrigins` when configured, else the request's own
 * origin (its Host). Requests without an `Origin` (not from a browser) go on to the token check.
 */
export function checkWebSocketOrigin(
  app: FastifyInstance,
  allowedOrigins: readonly string[] | undefined,
): void {
  const allowed = allowedOrigins ? new Set(allowedOrigins.map((o) => normalOrigin(o) ?? o)) : undefined;
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") return;
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const ok = allowed ? allowed.has(normalOrigin(origin) ?? "") : sameOrigin(origin, request.host);
    if (ok) return;
    request.log.warn({ origin, url: request.url.split("?")[0] }, "WebSocket refused: origin not allowed");
    await reply.code(403).send({
      error: "forbidden",
      message: `origin ${origin} may not open a WebSocket here${allowed ? " (http.allowedOrigins)" : " (not this server's own origin; see http.allowedOrigins)"}`,
    });
  });
}
