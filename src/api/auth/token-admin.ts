// Issuing and revoking tokens, for the admin API and `callsight token`: each one is written to the audit
// log (`token.issue`, `token.revoke`) with the token's id, label and expiry — never the token.

import type { AuditLog } from "../../stores/audit-log.js";
import type { Revocation, TokenInfo, TokenStore } from "./token-store.js";

export class TokenAdmin {
  constructor(
    readonly tokens: TokenStore,
    private readonly audit: AuditLog,
  ) {}

  async issue(
    actor: string,
    user: string,
    options: { label?: string; expiresInMs?: number } = {},
  ): Promise<{ token: string; info: TokenInfo }> {
    const issued = await this.tokens.issue(user, {
      ...(options.label ? { label: options.label } : {}),
      ...(options.expiresInMs !== undefined ? { expiresInMs: options.expiresInMs } : {}),
    });
    await this.audit.append({
      actor,
      action: "token.issue",
      target: user,
      outcome: "changed",
      detail: detailOf(issued.info),
    });
    return issued;
  }

  async revoke(actor: string, id: string): Promise<TokenInfo | undefined> {
    const info = await this.tokens.revoke(id);
    if (info) {
      await this.audit.append({
        actor,
        action: "token.revoke",
        target: info.user,
        outcome: "changed",
        detail: detailOf(info),
      });
    }
    return info;
  }

  /** Revokes every token of a user; one audit entry naming them. */
  async revokeUser(actor: string, user: string, reason: Revocation["reason"]): Promise<TokenInfo[]> {
    const revoked = await this.tokens.revokeUser(user, reason);
    if (revoked.length > 0) {
      await this.audit.append({
        actor,
        action: "token.revoke",
        target: user,
        outcome: "changed",
        reason,
        detail: { ids: revoked.map((t) => t.id) },
      });
    }
    return revoked;
  }
}

function detailOf(info: TokenInfo): Record<string, unknown> {
  return {
    id: info.id,
    ...(info.label !== undefined ? { label: info.label } : {}),
    ...(info.expiresAt !== undefined ? { expiresAt: info.expiresAt } : {}),
  };
}
