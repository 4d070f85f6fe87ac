// Admin console: edits users, departments and every per-user switch. Each change is validated with the
// same rules as callsight.yaml, stored in Redis for every instance, and written to the audit log.

import { ConfigError, type DirectoryDocument } from "../../config/load.js";
import type { Callsight } from "../../runtime/callsight.js";
import type { AuditLog } from "../../stores/audit-log.js";
import { DirectoryConflictError } from "../../stores/directory-store.js";
import { type PbxConnections, pbxConnections } from "./pbx-status.js";

type UserEntry = DirectoryDocument["users"][number];
type DepartmentEntry = DirectoryDocument["departments"][number];

export type AdminResult<T> =
  | { ok: true; status: number; value: T }
  | { ok: false; status: number; error: string; message: string; problems?: string[] };

export class AdminService {
  constructor(
    private readonly callsight: Callsight,
    private readonly audit: AuditLog,
  ) {}

  document(): { version: number; document: DirectoryDocument } {
    return { version: this.callsight.directoryVersion, document: this.callsight.document };
  }

  /** Each PBX connection's state (pbx-status.ts). */
  pbx(): PbxConnections {
    return pbxConnections(this.callsight);
  }

  user(id: string): UserEntry | undefined {
    return this.callsight.document.users.find((u) => u.id === id);
  }

  async createUser(actor: string, entry: Record<string, unknown>): Promise<AdminResult<UserEntry>> {
    const id = String(entry.id ?? "");
    if (this.user(id)) return { ok: false, status: 409, error: "conflict", message: `user ${id} exists` };
    return this.change(
      actor,
      "user.create",
      id,
      entry,
      (doc) => ({ ...doc, users: [...doc.users, entry as UserEntry] }),
      (doc) => doc.users.find((u) => u.id === id)!,
    );
  }

  async updateUser(
    actor: string,
    id: string,
    patch: Record<string, unknown>,
  ): Promise<AdminResult<UserEntry>> {
    if (!this.user(id)) return { ok: false, status: 404, error: "not-found", message: `no user ${id}` };
    if (patch.id !== undefined && patch.id !== id) {
      return {
        ok: false,
        status: 400,
        error: "invalid-request",
        message: "id: cannot be changed",
        problems: ["id: cannot be changed"],
      };
    }
    return this.change(
      actor,
      "user.update",
      id,
      patch,
      (doc) => ({
        ...doc,
        users: doc.users.map((u) => {
          if (u.id !== id) return u;
          const operations =
            patch.operations && typeof patch.operations === "object"
              ? { ...(u.operations ?? {}), ...(patch.operations as object) }
              : u.operations;
          return { ...u, ...patch, ...(operations ? { operations } : {}) } as UserEntry;
        }),
      }),
      (doc) => doc.users.find((u) => u.id === id)!,
    );
  }

  async deleteUser(actor: string, id: string): Promise<AdminResult<null>> {
    if (!this.user(id)) return { ok: false, status: 404, error: "not-found", message: `no user ${id}` };
    return this.change(
      actor,
      "user.delete",
      id,
      {},
      (doc) => ({
        ...doc,
        // Nobody keeps a deleted user as a pickup delegate.
        users: doc.users
          .filter((u) => u.id !== id)
          .map((u) =>
            u.pickupDelegates?.includes(id)
              ? { ...u, pickupDelegates: u.pickupDelegates.filter((d) => d !== id) }
              : u,
          ),
      }),
      () => null,
    );
  }

  async createDepartment(
    actor: string,
    entry: Record<string, unknown>,
  ): Promise<AdminResult<DepartmentEntry>> {
    const id = String(entry.id ?? "");
    if (this.callsight.document.departments.some((d) => d.id === id)) {
      return { ok: false, status: 409, error: "conflict", message: `department ${id} exists` };
    }
    return this.change(
      actor,
      "department.create",
      id,
      entry,
      (doc) => ({ ...doc, departments: [...doc.departments, entry as DepartmentEntry] }),
      (doc) => doc.departments.find((d) => d.id === id)!,
    );
  }

  async updateDepartment(
    actor: string,
    id: string,
    patch: Record<string, unknown>,
  ): Promise<AdminResult<DepartmentEntry>> {
    if (!this.callsight.document.departments.some((d) => d.id === id)) {
      return { ok: false, status: 404, error: "not-found", message: `no department ${id}` };
    }
    if (patch.id !== undefined && patch.id !== id) {
      return {
        ok: false,
        status: 400,
        error: "invalid-request",
        message: "id: cannot be changed",
        problems: ["id: cannot be changed"],
      };
    }
    return this.change(
      actor,
      "department.update",
      id,
      patch,
      (doc) => ({
        ...doc,
        departments: doc.departments.map((d) => (d.id === id ? ({ ...d, ...patch } as DepartmentEntry) : d)),
      }),
      (doc) => doc.departments.find((d) => d.id === id)!,
    );
  }

  async deleteDepartment(actor: string, id: string): Promise<AdminResult<null>> {
    if (!this.callsight.document.departments.some((d) => d.id === id)) {
      return { ok: false, status: 404, error: "not-found", message: `no department ${id}` };
    }
    const members = this.callsight.document.users.filter((u) => u.departments.includes(id)).map((u) => u.id);
    if (members.length > 0) {
      return {
        ok: false,
        status: 409,
        error: "conflict",
        message: `department ${id} still has members: ${members.join(", ")}`,
      };
    }
    return this.change(
      actor,
      "department.delete",
      id,
      {},
      (doc) => ({ ...doc, departments: doc.departments.filter((d) => d.id !== id) }),
      () => null,
    );
  }

  private async change<T>(
    actor: string,
    action: string,
    target: string,
    input: Record<string, unknown>,
    edit: (doc: DirectoryDocument) => DirectoryDocument,
    pick: (doc: DirectoryDocument) => T,
  ): Promise<AdminResult<T>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const version = this.callsight.directoryVersion;
      const next = edit(this.callsight.document);
      try {
        const stored = await this.callsight.replaceDirectory(next, version);
        await this.audit.append({ actor, action, target, outcome: "changed", detail: { input } });
        return {
          ok: true,
          status: action.endsWith(".create") ? 201 : action.endsWith(".delete") ? 204 : 200,
          value: pick(stored.document),
        };
      } catch (err) {
        if (err instanceof DirectoryConflictError) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        if (err instanceof ConfigError) {
          const problems = err.problems.map((p) => relativeProblem(p, next, target));
          await this.audit.append({
            actor,
            action,
            target,
            outcome: "refused",
            reason: "invalid",
            detail: { input, problems },
          });
          return { ok: false, status: 400, error: "invalid-request", message: problems.join("; "), problems };
        }
        throw err;
      }
    }
    return { ok: false, status: 409, error: "conflict", message: "the directory kept changing; retry" };
  }
}

/** `users[3].recording: …` -> `recording: …` when users[3] is the entry being edited. */
function relativeProblem(problem: string, doc: DirectoryDocument, target: string): string {
  const userIndex = doc.users.findIndex((u) => u.id === target);
  const depIndex = doc.departments.findIndex((d) => d.id === target);
  for (const [list, index] of [
    ["users", userIndex],
    ["departments", depIndex],
  ] as const) {
    const prefix = `${list}[${index}].`;
    if (index >= 0 && problem.startsWith(prefix)) return problem.slice(prefix.length);
  }
  return problem;
}
