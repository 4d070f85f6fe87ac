// The tokens tab: every token's id, user, label and times (GET /v1/admin/tokens — never a token itself),
// issuing one for a user (the new token is shown once, with a copy button) and revoking one (after a
// second click; the token this page signed in with is marked, as revoking it signs the page out).

import { button, byId, element } from "../session.js";
import { call, emptyRow, row, say, signedOut, state, userName, when } from "./common.js";

interface TokenInfo {
  id: string;
  user: string;
  label?: string;
  createdAt: number;
  expiresAt?: number;
  lastUsedAt?: number;
}

const COLUMNS = 7;

function expiresText(t: TokenInfo): string {
  if (t.expiresAt === undefined) return "never";
  return t.expiresAt <= Date.now() ? `expired ${when(t.expiresAt)}` : when(t.expiresAt);
}

function revokeCell(t: TokenInfo): HTMLElement {
  const cell = element("div", undefined, "actions");
  const ask = button("Revoke", () => {
    const own = t.id === state.tokenId;
    const question = element(
      "span",
      own
        ? "This is the token you are signed in with: revoking it signs you out. Revoke it?"
        : "Revoke this token? It stops working at once.",
    );
    const yes = button("Yes, revoke", () => void revoke(t));
    yes.className = "danger";
    yes.dataset.confirm = t.id;
    const no = button("Cancel", () => cell.replaceChildren(ask));
    cell.replaceChildren(question, yes, no);
    yes.focus();
  });
  ask.dataset.revoke = t.id;
  cell.append(ask);
  return cell;
}

function tokenRow(t: TokenInfo): HTMLTableRowElement {
  const id = element("code", t.id);
  const idCell = element("div");
  idCell.append(id);
  if (t.id === state.tokenId) idCell.append(element("small", " (this session)", "muted"));
  const tr = row([
    userName(t.user),
    t.label ?? "",
    idCell,
    when(t.createdAt),
    expiresText(t),
    t.lastUsedAt !== undefined ? when(t.lastUsedAt) : "not yet",
    revokeCell(t),
  ]);
  tr.dataset.token = t.id;
  tr.dataset.user = t.user;
  return tr;
}

export async function loadTokens(): Promise<void> {
  const user = byId<HTMLSelectElement>("tokens-of").value;
  const answer = await call<{ tokens: TokenInfo[] }>(
    "GET",
    `/v1/admin/tokens${user ? `?user=${encodeURIComponent(user)}` : ""}`,
  );
  if (!answer) return;
  const tokens = [...answer.tokens].sort((a, b) => b.createdAt - a.createdAt);
  byId("tokens").replaceChildren(
    ...(tokens.length ? tokens.map(tokenRow) : [emptyRow("No tokens.", COLUMNS)]),
  );
}

async function revoke(t: TokenInfo): Promise<void> {
  const own = t.id === state.tokenId;
  const done = await call<unknown>("DELETE", `/v1/admin/tokens/${encodeURIComponent(t.id)}`);
  if (done === undefined) return;
  if (own) {
    signedOut();
    return;
  }
  say(`Revoked the token ${t.id} of ${userName(t.user)}.`);
  await loadTokens();
}

/** The users to choose from, by name (the issue form, and the list's filter). */
export function renderTokenUsers(): void {
  const users = [...(state.directory?.document.users ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const option = (value: string, text: string) => {
    const o = element("option", text);
    o.value = value;
    return o;
  };
  for (const [id, first] of [
    ["token-user", "Choose a user"],
    ["tokens-of", "All users"],
  ] as const) {
    const select = byId<HTMLSelectElement>(id);
    const keep = select.value;
    select.replaceChildren(
      option("", first),
      ...users.map((u) => option(u.id, `${u.name} (${u.extension})`)),
    );
    select.value = users.some((u) => u.id === keep) ? keep : "";
  }
}

function showNewToken(user: string, token: string): void {
  byId("new-token-who").textContent = `New token for ${userName(user)}. Copy it now: it is not shown again.`;
  byId<HTMLInputElement>("new-token-value").value = token;
  byId("new-token-copied").textContent = "";
  byId("new-token").hidden = false;
}

function hideNewToken(): void {
  byId<HTMLInputElement>("new-token-value").value = "";
  byId("new-token").hidden = true;
}

async function copyNewToken(): Promise<void> {
  const field = byId<HTMLInputElement>("new-token-value");
  try {
    await navigator.clipboard.writeText(field.value);
    byId("new-token-copied").textContent = "Copied.";
  } catch {
    field.select();
    byId("new-token-copied").textContent =
      "Copying is not allowed here: the token is selected, press Ctrl+C.";
  }
}

export function wireTokens(): void {
  const form = byId<HTMLFormElement>("token-form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const user = byId<HTMLSelectElement>("token-user").value;
    const label = byId<HTMLInputElement>("token-label").value.trim();
    const expires = byId<HTMLInputElement>("token-expires").value.trim();
    const problem = byId("token-problem");
    if (!user) {
      problem.textContent = "Choose the user the token is for.";
      return;
    }
    void (async () => {
      const issued = await call<TokenInfo & { token: string }>(
        "POST",
        "/v1/admin/tokens",
        { user, ...(label ? { label } : {}), ...(expires ? { expires } : {}) },
        (text) => {
          problem.textContent = `Not issued: ${text}`;
        },
      );
      if (!issued) return;
      problem.textContent = "";
      form.reset();
      showNewToken(issued.user, issued.token);
      await loadTokens();
    })();
  });
  byId("new-token-copy").addEventListener("click", () => void copyNewToken());
  byId("new-token-done").addEventListener("click", hideNewToken);
  byId("tokens-of").addEventListener("change", () => void loadTokens());
}
