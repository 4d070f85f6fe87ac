// The Recordings panel: the recordings this viewer may see (GET /v1/recordings applies the board's rules, so
// a recording's hidden details never reach the page), each with Play (in the page's <audio>) and Download.
// Admins get a department filter.
//
// Playing and downloading go through a link the API issues for one recording (POST .../play or .../download,
// with the bearer token; each is one audit entry): an <audio src> or a download cannot send the token, and the
// token must not go into a URL. The link is short-lived and good for nothing else (src/api/recordings/audio.ts);
// the <audio> then asks for the ranges it needs on it. The player's own download button is hidden
// (controlslist="nodownload"): a download goes through Download, and is audited as one.

import type { SeenParty } from "../../../src/domain/party-visibility.js";
import type { SeenRecording } from "../../../src/recording/recording-visibility.js";
import { type ApiAnswer, api, button, byId, element } from "../session.js";
import { nameOf, state } from "./state.js";
import { language, t } from "./strings.js";

interface Department {
  id: string;
  name: string;
}

let recordings: SeenRecording[] | undefined;
let admin = false;
/** The recording in the player. */
let playing: string | undefined;

function partyLabel(p: SeenParty): string {
  // A colleague the viewer may not identify: the server sent nothing that names them.
  if (p.user === undefined && p.number === undefined) return t("call.colleague");
  const name = p.name ?? (p.user !== undefined ? nameOf(p.user) : undefined);
  if (p.external) return name ? `${name} ${p.number ?? ""}`.trim() : p.number || t("call.unknown");
  return name ?? p.number ?? t("call.unknown");
}

function partiesText(r: SeenRecording): string {
  if (!r.parties || r.parties.length === 0) return t("recordings.hidden");
  return r.parties.map(partyLabel).join(", ");
}

function when(r: SeenRecording): string {
  return new Date(r.startedAt).toLocaleString(language());
}

/** `0:42`, `12:05`, `1:02:09`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** What went wrong, as the API says it. */
function problem(answer: ApiAnswer<unknown>): string {
  const body = answer.body as { message?: unknown };
  return typeof body.message === "string" ? body.message : String(answer.status);
}

function say(text: string): void {
  byId("recordings-message").textContent = text;
}

async function link(
  r: SeenRecording,
  purpose: "play" | "download",
): Promise<{ url: string; fileName?: string } | undefined> {
  const answer = await api<{ url: string; fileName?: string }>(
    state.token,
    "POST",
    `/v1/recordings/${encodeURIComponent(r.id)}/${purpose}`,
  );
  if (answer.ok && "url" in answer.body) return answer.body;
  say(t("recordings.linkFailed", { status: problem(answer) }));
  return undefined;
}

async function play(r: SeenRecording): Promise<void> {
  const got = await link(r, "play");
  if (!got) return;
  say("");
  const player = byId<HTMLAudioElement>("recordings-player");
  playing = r.id;
  player.src = got.url;
  player.dataset.recording = r.id;
  byId("recordings-playing").textContent = t("recordings.playing", { when: when(r) });
  byId("recordings-player-box").hidden = false;
  markPlaying();
  // The viewer clicked Play: the browser lets the page start it. If it does not, the controls are there.
  player.play().catch(() => undefined);
}

async function download(r: SeenRecording): Promise<void> {
  const got = await link(r, "download");
  if (!got) return;
  say("");
  const a = element("a");
  a.href = got.url;
  a.download = got.fileName ?? "";
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

function markPlaying(): void {
  for (const row of byId("recordings").querySelectorAll<HTMLElement>("tr[data-recording]")) {
    row.classList.toggle("playing", row.dataset.recording === playing);
  }
}

function row(r: SeenRecording): HTMLTableRowElement {
  const tr = element("tr");
  tr.dataset.recording = r.id;
  const date = element("time", when(r));
  date.dateTime = new Date(r.startedAt).toISOString();
  const dateCell = element("td");
  dateCell.append(date);
  const actions = element("td", undefined, "actions");
  const playButton = button(t("recordings.play"), () => void play(r));
  playButton.className = "play";
  playButton.setAttribute("aria-label", t("recordings.playLabel", { when: when(r) }));
  const downloadButton = button(t("recordings.download"), () => void download(r));
  downloadButton.className = "download";
  downloadButton.setAttribute("aria-label", t("recordings.downloadLabel", { when: when(r) }));
  actions.append(playButton, downloadButton);
  tr.append(
    dateCell,
    element("td", partiesText(r), "parties"),
    element("td", durationText(r.durationMs)),
    actions,
  );
  return tr;
}

/** Writes the list again (after it was loaded, or in another language). */
export function renderRecordings(): void {
  if (!recordings) return;
  byId("recordings").replaceChildren(...recordings.map(row));
  byId("recordings-none").hidden = recordings.length > 0;
  byId("recordings-table").hidden = recordings.length === 0;
  const select = byId<HTMLSelectElement>("recordings-department");
  const all = select.querySelector<HTMLOptionElement>('option[value=""]');
  if (all) all.textContent = t("recordings.allDepartments");
  if (playing) {
    const r = recordings.find((x) => x.id === playing);
    if (r) byId("recordings-playing").textContent = t("recordings.playing", { when: when(r) });
  }
  markPlaying();
}

async function load(): Promise<void> {
  const q = new URLSearchParams({ limit: "100" });
  const department = byId<HTMLSelectElement>("recordings-department").value;
  if (admin && department) q.set("department", department);
  const answer = await api<{ recordings: SeenRecording[] }>(state.token, "GET", `/v1/recordings?${q}`);
  // A server without recording (404) or a refused token (the board says so): no panel.
  if (answer.status === 404 || answer.status === 401) return;
  byId("recordings-section").hidden = false;
  if (!answer.ok || !("recordings" in answer.body)) {
    say(t("recordings.failed", { status: problem(answer) }));
    return;
  }
  say("");
  recordings = answer.body.recordings;
  renderRecordings();
}

async function departmentFilter(): Promise<void> {
  const me = await api<{ role?: string }>(state.token, "GET", "/v1/me");
  admin = me.ok && "role" in me.body && me.body.role === "admin";
  if (!admin) return;
  const answer = await api<{ departments: Department[] }>(state.token, "GET", "/v1/admin/departments");
  if (!answer.ok || !("departments" in answer.body)) return;
  const select = byId<HTMLSelectElement>("recordings-department");
  const all = element("option", t("recordings.allDepartments"));
  all.value = "";
  select.replaceChildren(
    all,
    ...answer.body.departments.map((d) => {
      const option = element("option", d.name);
      option.value = d.id;
      return option;
    }),
  );
  byId("recordings-department-label").hidden = false;
}

/** Loads the panel once the viewer's token is known to work. */
export function startRecordings(): void {
  const player = byId<HTMLAudioElement>("recordings-player");
  player.addEventListener("error", () => {
    // Most likely the link expired while the player stood paused: a new Play gets a new one.
    if (player.getAttribute("src")) say(t("recordings.playFailed"));
  });
  byId("recordings-refresh").addEventListener("click", () => void load());
  byId("recordings-department").addEventListener("change", () => void load());
  void departmentFilter().then(load, load);
}
