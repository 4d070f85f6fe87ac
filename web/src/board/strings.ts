// Every string the board shows, in one place, in English and German. The language is the one chosen in
// the board's toolbar (kept in this browser), else the browser's first language we have, else English.

import type { Presence } from "../../../src/domain/presence.js";

const EN = {
  "status.notConnected": "not connected",
  "status.live": "live",
  "status.reconnecting": "reconnecting…",
  "status.tokenRefused": "token refused",
  "people.title": "People",
  "people.none": "Nobody matches “{query}”.",
  "people.count": "{shown} of {total}",
  "section.other": "Other colleagues",
  "toolbar.search": "Search by name, extension or department",
  "toolbar.searchLabel": "Search",
  "toolbar.sort": "Sort",
  "toolbar.sortName": "by name",
  "toolbar.sortPresence": "by presence",
  "toolbar.compact": "Compact",
  "toolbar.language": "Language",
  "toolbar.notify": "Notify me of calls I can pick up",
  "notify.denied": "The browser does not allow notifications for this page.",
  "notify.title": "{name} is ringing",
  "notify.body": "Call from {caller}",
  "notify.bodyUnknown": "You can pick it up from the board.",
  "call.onACall": "on a call",
  "call.colleague": "a colleague",
  "call.unknown": "unknown",
  "call.rec": "● rec",
  "direction.inbound": "inbound",
  "direction.outbound": "outbound",
  "direction.internal": "internal",
  "callState.dialing": "dialling",
  "callState.ringing": "ringing",
  "callState.up": "talking",
  "callState.held": "on hold",
  "callState.parked": "parked",
  "monitoring.title": "Monitoring",
  "monitoring.row": "{by} {mode} on {target} · {since}",
  "parked.title": "Parked calls",
  "parked.call": "parked call",
  "link.connecting": "Connecting to PBX {pbx}… Until it answers, its people show offline and their calls are not shown.",
  "link.down": "The link to PBX {pbx} is down{at}. Its calls and presence shown are the last known and may be stale.",
  "link.since": " since {time}",
  "announce.changed": "{name}: {presence}",
  "announce.more": "and {count} more changes",
  "operation.sent": "{operation}: {status}",
  "presence.offline": "offline",
  "presence.available": "available",
  "presence.away": "away",
  "presence.dnd": "do not disturb",
  "presence.ringing": "ringing",
  "presence.on-hold": "on hold",
  "presence.on-call": "on a call",
} satisfies Record<string, string>;

export type StringKey = keyof typeof EN;

const DE: Record<StringKey, string> = {
  "status.notConnected": "nicht verbunden",
  "status.live": "live",
  "status.reconnecting": "verbinde neu…",
  "status.tokenRefused": "Token abgelehnt",
  "people.title": "Personen",
  "people.none": "Niemand passt zu „{query}“.",
  "people.count": "{shown} von {total}",
  "section.other": "Weitere Kolleginnen und Kollegen",
  "toolbar.search": "Suche nach Name, Nebenstelle oder Abteilung",
  "toolbar.searchLabel": "Suche",
  "toolbar.sort": "Sortierung",
  "toolbar.sortName": "nach Name",
  "toolbar.sortPresence": "nach Status",
  "toolbar.compact": "Kompakt",
  "toolbar.language": "Sprache",
  "toolbar.notify": "Benachrichtigen bei Anrufen, die ich übernehmen kann",
  "notify.denied": "Der Browser erlaubt dieser Seite keine Benachrichtigungen.",
  "notify.title": "{name} klingelt",
  "notify.body": "Anruf von {caller}",
  "notify.bodyUnknown": "Sie können ihn auf der Tafel übernehmen.",
  "call.onACall": "im Gespräch",
  "call.colleague": "ein Kollege",
  "call.unknown": "unbekannt",
  "call.rec": "● Aufn.",
  "direction.inbound": "eingehend",
  "direction.outbound": "ausgehend",
  "direction.internal": "intern",
  "callState.dialing": "wählt",
  "callState.ringing": "klingelt",
  "callState.up": "spricht",
  "callState.held": "gehalten",
  "callState.parked": "geparkt",
  "monitoring.title": "Mithören",
  "monitoring.row": "{by} {mode} bei {target} · {since}",
  "parked.title": "Geparkte Anrufe",
  "parked.call": "geparkter Anruf",
  "link.connecting":
    "Verbinde mit TK-Anlage {pbx}… Bis sie antwortet, erscheinen ihre Personen offline und ihre Anrufe fehlen.",
  "link.down":
    "Die Verbindung zur TK-Anlage {pbx} ist unterbrochen{at}. Angezeigte Anrufe und Status sind der letzte Stand.",
  "link.since": " seit {time}",
  "announce.changed": "{name}: {presence}",
  "announce.more": "und {count} weitere Änderungen",
  "operation.sent": "{operation}: {status}",
  "presence.offline": "offline",
  "presence.available": "verfügbar",
  "presence.away": "abwesend",
  "presence.dnd": "nicht stören",
  "presence.ringing": "klingelt",
  "presence.on-hold": "hält",
  "presence.on-call": "im Gespräch",
};

export const LANGUAGES = { en: { name: "English", strings: EN }, de: { name: "Deutsch", strings: DE } } as const;
export type Language = keyof typeof LANGUAGES;

const STORAGE_KEY = "callsight-language";

function isLanguage(value: string | null | undefined): value is Language {
  return value !== null && value !== undefined && Object.hasOwn(LANGUAGES, value);
}

function initialLanguage(): Language {
  const chosen = localStorage.getItem(STORAGE_KEY);
  if (isLanguage(chosen)) return chosen;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.slice(0, 2).toLowerCase();
    if (isLanguage(base)) return base;
  }
  return "en";
}

let current: Language = initialLanguage();

export function language(): Language {
  return current;
}

export function setLanguage(lang: Language): void {
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
}

/** The string for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: StringKey, vars: Record<string, string | number> = {}): string {
  const text: string = LANGUAGES[current].strings[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function presenceText(presence: Presence): string {
  return t(`presence.${presence}`);
}

/** Fills every `data-i18n` element's text (and `data-i18n-placeholder`, `data-i18n-label`) of the page. */
export function translatePage(root: ParentNode = document): void {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) el.textContent = t(el.dataset.i18n as StringKey);
  for (const el of root.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]"))
    el.placeholder = t(el.dataset.i18nPlaceholder as StringKey);
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-label]"))
    el.setAttribute("aria-label", t(el.dataset.i18nLabel as StringKey));
}
