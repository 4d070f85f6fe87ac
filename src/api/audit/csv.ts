// The audit log as CSV (RFC 4180): a header row, one row per entry, CRLF line ends. A cell holding a
// comma, a double quote, a line break or leading/trailing spaces is quoted, its quotes doubled. A cell
// that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return, after
// any spaces) gets a leading apostrophe, so that opening the export cannot run anything (OWASP's advice
// against CSV injection): `+15550100` becomes `'+15550100`.

import type { AuditEntry } from "../../stores/audit-log.js";

export const AUDIT_CSV_COLUMNS = [
  "id",
  "time",
  "actor",
  "action",
  "target",
  "outcome",
  "reason",
  "detail",
] as const;

const FORMULA_START = /^[ ]*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV cell: neutralised when it would start a formula, quoted when it must be. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The entries as one CSV document; `time` is ISO 8601 (UTC), `detail` the entry's detail as JSON. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const rows = [AUDIT_CSV_COLUMNS.join(",")];
  for (const e of entries) {
    rows.push(
      [
        e.id,
        new Date(e.at).toISOString(),
        e.actor,
        e.action,
        e.target ?? "",
        e.outcome,
        e.reason ?? "",
        e.detail !== undefined ? JSON.stringify(e.detail) : "",
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}
