// What the admin console's sections share: the session (token, directory), messages, API errors shown in
// plain words, times, tables, and downloads that carry the token.

import type { ConfigFile } from "../../../src/config/schema.js";
import type { UserSettings } from "../../../src/domain/directory.js";
import { type ApiAnswer, type ApiError, api, byId, element, forgetToken } from "../session.js";

export type UserEntry = ConfigFile["users"][number];

export interface DirectoryDocument {
  monitoringRoles: ConfigFile["monitoringRoles"];
  departments: ConfigFile["departments"];
  users: UserEntry[];
}

export interface DirectoryAnswer {
  version: number;
  document: DirectoryDocument;
  defaults: UserSettings;
}

export const state: {
  token: string;
  /** The public id of the token this page is signed in with (the start of its SHA-256), once known. */
  tokenId?: string;
  directory?: DirectoryAnswer;
  /** Set when the server refused the token: background refreshes stop until the next sign-in. */
  signedOut: boolean;
} = { token: "", signedOut: false };

export function say(text: string): void {
  byId("message").textContent = text;
}

export function problemText(body: ApiError): string {
  const problems = (body.problems ?? []).map((p) => (typeof p === "string" ? p : JSON.stringify(p)));
  return [body.message ?? body.error ?? "failed", ...problems.filter((p) => p !== body.message)].join("; ");
}

/** The token was refused (revoked, expired): stop, and ask for a token again. */
export function signedOut(): void {
  state.signedOut = true;
  byId("status").textContent = "token refused";
  forgetToken();
  byId("admin").hidden = true;
  byId("login").hidden = false;
  say("The server no longer accepts this token. Sign in with another one.");
}

/**
 * An admin API call; a 401 signs the page out, a 403 says that administrators only may do this. Answers
 * the body when the call worked, else undefined (and `onError` hears why, in plain words).
 */
export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  onError: (text: string, status: number, error: ApiError) => void = (text) => say(text),
): Promise<T | undefined> {
  let answer: ApiAnswer<T>;
  try {
    answer = await api<T>(state.token, method, path, body);
  } catch {
    onError("The server cannot be reached.", 0, {});
    return undefined;
  }
  if (answer.ok) return answer.body as T;
  if (answer.status === 401) {
    signedOut();
    return undefined;
  }
  const error = answer.body as ApiError;
  const text = answer.status === 403 ? "Only administrators may do this." : problemText(error);
  onError(text, answer.status, error);
  return undefined;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** A time as `2024-05-01 14:03:09`, in this computer's time zone. */
export function when(ms: number | undefined): string {
  if (ms === undefined) return "";
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** How long: `40 s`, `5 min`, `3 h 10 min`, `2 days`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** A user's name and extension from the directory, or the id as given. */
export function userName(id: string): string {
  const user = state.directory?.document.users.find((u) => u.id === id);
  return user ? `${user.name} (${user.extension})` : id;
}

/** A table row of text cells (a cell may be an element). */
export function row(cells: (string | Node)[], className?: string): HTMLTableRowElement {
  const tr = element("tr", undefined, className);
  for (const c of cells) {
    const td = element("td");
    td.append(c);
    tr.append(td);
  }
  return tr;
}

/** A row saying there is nothing to show, across the table's columns. */
export function emptyRow(text: string, columns: number): HTMLTableRowElement {
  const tr = element("tr", undefined, "empty");
  const td = element("td", text, "muted");
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

/**
 * Fetches a file from the API with the token and hands it to the browser as a download (a plain link
 * cannot carry the token). Answers the file name, or undefined after saying why not.
 */
export async function download(path: string, onError: (text: string) => void): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
  } catch {
    onError("The server cannot be reached.");
    return undefined;
  }
  if (res.status === 401) {
    signedOut();
    return undefined;
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as ApiError;
    onError(res.status === 403 ? "Only administrators may do this." : problemText(body));
    return undefined;
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "download";
  const url = URL.createObjectURL(await res.blob());
  const link = element("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** The public id of a token, as the token list shows it: the first 16 hex digits of its SHA-256. */
export async function tokenIdOf(token: string): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 16);
}
