// The audit log tab: the newest entries first, filtered by user, action, target, outcome and time range
// (GET /v1/audit, which checks the filters and names a bad one), and the matching entries as a CSV or JSON
// download (GET /v1/audit/export, which writes the export itself to the audit log).

import type { ApiError } from "../session.js";
import { byId, element } from "../session.js";
import { call, download, emptyRow, row, state, userName, when } from "./common.js";

interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  target?: string;
  outcome: string;
  reason?: string;
  detail?: Record<string, unknown>;
}

const COLUMNS = 7;

/** Each filter: its field in the page, and its name in the API. */
const FILTERS = [
  ["audit-actor", "actor", "User"],
  ["audit-action", "action", "Action"],
  ["audit-target", "target", "Target"],
  ["audit-outcome", "outcome", "Outcome"],
  ["audit-from", "since", "From"],
  ["audit-to", "until", "To"],
  ["audit-limit", "limit", "Show"],
] as const;

/** Actions seen so far, offered as suggestions. */
const actionsSeen = new Set<string>([
  "listen",
  "whisper",
  "barge",
  "pickup",
  "takeOver",
  "user.update",
  "token.issue",
  "token.revoke",
  "audit.export",
]);

function input(id: string): HTMLInputElement | HTMLSelectElement {
  return byId<HTMLInputElement | HTMLSelectElement>(id);
}

/** The filters as API query parameters (times as ms since epoch, read in this computer's time zone). */
function filterParams(withLimit: boolean): URLSearchParams {
  const params = new URLSearchParams();
  for (const [id, name] of FILTERS) {
    if (name === "limit" && !withLimit) continue;
    const value = input(id).value.trim();
    if (!value) continue;
    if (name === "since" || name === "until") {
      const ms = new Date(value).getTime();
      params.set(name, Number.isFinite(ms) ? String(ms) : value);
    } else params.set(name, value);
  }
  return params;
}

function showProblem(text: string, error?: ApiError): void {
  byId("audit-problem").textContent = text;
  const bad = new Set<string>();
  for (const p of error?.problems ?? []) {
    if (p && typeof p === "object" && "field" in p) bad.add(String((p as { field: unknown }).field));
  }
  for (const [id, name] of FILTERS) {
    if (bad.has(name)) input(id).setAttribute("aria-invalid", "true");
    else input(id).removeAttribute("aria-invalid");
  }
}

/** The API's problems, with the page's names for the fields. */
function problemsInPageWords(text: string, error: ApiError): string {
  const words = (error.problems ?? []).flatMap((p) => {
    if (!p || typeof p !== "object" || !("field" in p)) return [];
    const { field, message } = p as { field: string; message: string };
    const label = FILTERS.find(([, name]) => name === field)?.[2] ?? field;
    return [`${label}: ${message}`];
  });
  return words.length ? words.join("; ") : text;
}

function detailText(e: AuditEntry): string {
  return e.detail === undefined ? "" : JSON.stringify(e.detail);
}

function entryRow(e: AuditEntry): HTMLTableRowElement {
  const outcome = element("span", e.outcome, `badge outcome-${e.outcome}`);
  const detail = element("code", detailText(e), "detail");
  const tr = row([
    when(e.at),
    userName(e.actor),
    e.action,
    e.target !== undefined ? userName(e.target) : "",
    outcome,
    e.reason ?? "",
    detail,
  ]);
  tr.dataset.id = e.id;
  tr.dataset.action = e.action;
  tr.dataset.actor = e.actor;
  return tr;
}

function suggest(entries: AuditEntry[]): void {
  for (const e of entries) actionsSeen.add(e.action);
  byId("audit-actions").replaceChildren(
    ...[...actionsSeen].sort().map((a) => {
      const o = element("option");
      o.value = a;
      return o;
    }),
  );
  byId("audit-users").replaceChildren(
    ...(state.directory?.document.users ?? []).map((u) => {
      const o = element("option", `${u.name} (${u.extension})`);
      o.value = u.id;
      return o;
    }),
  );
}

export async function loadAudit(): Promise<void> {
  const params = filterParams(true);
  params.set("order", "newest");
  const answer = await call<{ entries: AuditEntry[] }>(
    "GET",
    `/v1/audit?${params}`,
    undefined,
    (text, _status, error) => showProblem(`Filters not accepted: ${problemsInPageWords(text, error)}`, error),
  );
  if (!answer) return;
  showProblem("");
  const entries = answer.entries;
  byId("audit").replaceChildren(
    ...(entries.length ? entries.map(entryRow) : [emptyRow("No entries match these filters.", COLUMNS)]),
  );
  byId("audit-summary").textContent =
    `${entries.length} entr${entries.length === 1 ? "y" : "ies"}, newest first.`;
  suggest(entries);
}

async function exportAs(format: "csv" | "json"): Promise<void> {
  const params = filterParams(false);
  params.set("format", format);
  const name = await download(`/v1/audit/export?${params}`, (text) => showProblem(`Not downloaded: ${text}`));
  if (name) {
    showProblem("");
    byId("audit-summary").textContent = `Downloaded ${name}.`;
  }
}

export function wireAudit(): void {
  const form = byId<HTMLFormElement>("audit-filters");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void loadAudit();
  });
  byId("audit-clear").addEventListener("click", () => {
    form.reset();
    void loadAudit();
  });
  byId("audit-csv").addEventListener("click", () => void exportAs("csv"));
  byId("audit-json").addEventListener("click", () => void exportAs("json"));
}
