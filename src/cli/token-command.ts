// `callsight token issue|list|revoke`: bearer tokens. A token is printed once; only its hash is stored.
// Issuing and revoking are written to the audit log; revoking closes the streams opened with the token on
// every running instance.

import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { TokenAdmin } from "../api/auth/token-admin.js";
import { DURATION_TEXT, parseDuration, type TokenInfo, TokenStore } from "../api/auth/token-store.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { connectRedis, RedisUnavailableError } from "../runtime/start.js";
import { AuditLog } from "../stores/audit-log.js";
import { DirectoryStore } from "../stores/directory-store.js";
import type { CliIo } from "./io.js";
import { EXIT, serverSettings } from "./serve-command.js";

const USAGE = `usage:
  callsight token issue <user> [--label text] [--expires 8h]   print a new token (create is the same)
  callsight token list [--user id] [--json]                   ids, users, labels, created, expires, last used
  callsight token revoke <id> | --user <id>                   revoke one token, or every token of a user
options: [--config callsight.yaml] [--redis url]`;

/** Who ran the command, for the audit log. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

function when(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function table(tokens: TokenInfo[]): string[] {
  const rows = [
    ["ID", "USER", "CREATED", "EXPIRES", "LAST USED", "LABEL"],
    ...tokens.map((t) => [
      t.id,
      t.user,
      when(t.createdAt),
      t.expiresAt === undefined ? "never" : when(t.expiresAt),
      when(t.lastUsedAt),
      t.label ?? "",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

export async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    io.err(`callsight token: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [verb, arg] = positionals;
  const usage = (problem?: string) => {
    io.err(problem ? `callsight token: ${problem}\n${USAGE}` : USAGE);
    return EXIT.usage;
  };
  let expiresInMs: number | undefined;
  if (verb === "issue" || verb === "create") {
    if (!arg) return usage("which user?");
    if (values.expires !== undefined) {
      expiresInMs = parseDuration(values.expires);
      if (expiresInMs === undefined)
        return usage(`--expires: expected ${DURATION_TEXT}, got "${values.expires}"`);
    }
  } else if (verb === "revoke") {
    if (!arg === (values.user === undefined)) return usage("revoke takes a token id or --user, one of them");
  } else if (verb !== "list") return usage();

  const settings = serverSettings(values);
  try {
    const config = loadConfig(settings.configFile);
    const redis = await connectRedis(settings.redisUrl);
    try {
      const tokens = new TokenStore(redis, settings.prefix);
      const admin = new TokenAdmin(tokens, new AuditLog(redis, settings.prefix));
      if (verb === "list") {
        const list = await tokens.list(values.user !== undefined ? { user: values.user } : {});
        if (values.json) io.out(JSON.stringify({ tokens: list }));
        else for (const line of table(list)) io.out(line);
        return EXIT.ok;
      }
      if (verb === "revoke") {
        if (arg) {
          const revoked = await admin.revoke(cliActor(), arg);
          if (!revoked) {
            io.err(`callsight token: no token with id "${arg}" (callsight token list shows them)`);
            return EXIT.usage;
          }
          io.out(`revoked ${revoked.id} (${revoked.user})`);
        } else {
          const revoked = await admin.revokeUser(cliActor(), values.user!, "token revoked");
          io.out(`revoked ${revoked.length} token(s) of ${values.user}`);
        }
        return EXIT.ok;
      }
      // The stored directory is the truth once Callsight has run; the file seeds it.
      const stored = await new DirectoryStore(redis, settings.prefix).load();
      const known = (stored?.document ?? config.document).users.some((u) => u.id === arg);
      if (!known) {
        io.err(`callsight token: no user "${arg}" in the directory`);
        return EXIT.usage;
      }
      const { token } = await admin.issue(cliActor(), arg!, {
        ...(values.label ? { label: values.label } : {}),
        ...(expiresInMs !== undefined ? { expiresInMs } : {}),
      });
      io.out(token);
      return EXIT.ok;
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT.config;
    }
    if (err instanceof RedisUnavailableError) {
      io.err(`callsight: ${err.message}`);
      return EXIT.unavailable;
    }
    throw err;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      redis: { type: "string" },
      label: { type: "string" },
      expires: { type: "string" },
      user: { type: "string" },
      json: { type: "boolean" },
    },
  });
}
