// The viewer's token and calls to the Callsight API, shared by the board and the admin console.
// The token comes from the link the demo prints (#token=…), the sign-in form, or this tab's storage.

const STORAGE_KEY = "callsight-token";

export function savedToken(): string | undefined {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) {
    sessionStorage.setItem(STORAGE_KEY, fromLink);
    // Keep the token out of the address bar (and of screenshots and history).
    history.replaceState(null, "", location.pathname + location.search);
    return fromLink;
  }
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function rememberToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export interface ApiAnswer<T> {
  status: number;
  body: T | ApiError;
  ok: boolean;
}

export interface ApiError {
  error?: string;
  message?: string;
  status?: string;
  problems?: unknown[];
}

export async function api<T>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed = (await res.json().catch(() => ({}))) as T | ApiError;
  return { status: res.status, body: parsed, ok: res.ok };
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

export function button(label: string, onClick: () => void, title?: string): HTMLButtonElement {
  const b = element("button", label);
  b.type = "button";
  if (title) b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

/** Wires the sign-in form; `start` runs with the token once there is one. */
export function signIn(start: (token: string) => void): void {
  const form = byId<HTMLFormElement>("login");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = byId<HTMLInputElement>("token").value.trim();
    if (!token) return;
    rememberToken(token);
    form.hidden = true;
    start(token);
  });
  const token = savedToken();
  if (token) {
    form.hidden = true;
    start(token);
  } else {
    form.hidden = false;
    byId<HTMLInputElement>("token").focus();
  }
}
