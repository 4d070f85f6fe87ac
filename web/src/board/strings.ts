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
  "call.from": "call from {caller}",
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
  "parked.by": "parked by {name}",
  "link.connecting":
    "Connecting to PBX {pbx}… Until it answers, its people show offline and their calls are not shown.",
  "link.down":
    "The link to PBX {pbx} is down{at}. Its calls and presence shown are the last known and may be stale.",
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
  "myStatus.title": "My status",
  "myStatus.label": "Status",
  "myStatus.available": "Available",
  "myStatus.away": "Away",
  "myStatus.dnd": "Do not disturb",
  "myStatus.note": "Note",
  "myStatus.notePlaceholder": "e.g. In a meeting",
  "myStatus.until": "Until",
  "myStatus.untilTime": "until {time}",
  "myStatus.set": "Set",
  "myStatus.sent": "Sent to the phone system: {status}. The board shows it once the phone system confirms.",
  "myStatus.failed": "Your status could not be set: {reason}",
  "recordings.title": "Recordings",
  "recordings.department": "Department",
  "recordings.allDepartments": "All departments",
  "recordings.refresh": "Refresh",
  "recordings.date": "Date",
  "recordings.parties": "Parties",
  "recordings.duration": "Duration",
  "recordings.actions": "Actions",
  "recordings.none": "No recordings you may play.",
  "recordings.hidden": "details not shown",
  "recordings.play": "Play",
  "recordings.download": "Download",
  "recordings.playLabel": "Play the recording of {when}",
  "recordings.downloadLabel": "Download the recording of {when}",
  "recordings.playing": "Recording of {when}",
  "recordings.failed": "The recordings could not be loaded: {status}",
  "recordings.linkFailed": "The recording could not be opened: {status}",
  "recordings.playFailed": "The recording stopped playing (its link may have expired): press Play again.",
  "dial.title": "Call",
  "dial.label": "Colleague or number",
  "dial.placeholder": "e.g. 1002 or +49 30 1234567",
  "dial.call": "Call",
  "dial.empty": "Type an extension or a phone number to call.",
  "dial.internalOnly": "Your phone rings first. Colleagues and internal extensions only.",
  "dial.anyNumber": "Your phone rings first, then the number is dialled as your extension.",
  "recent.title": "Recent calls",
  "recent.none": "No calls yet.",
  "recent.failed": "Recent calls could not be loaded.",
  "recent.missed": "missed",
  "recent.busy": "busy",
  "recent.notAnswered": "not answered",
  "recent.answeredElsewhere": "taken by a colleague",
  "recent.abandoned": "caller gave up in the queue",
  "recent.talked": "talked {duration}",
  "recent.pickedUp": "picked up by {who}",
  "recent.transferred": "transferred to {who}",
  "queues.title": "Queues",
  "queues.panel": "{department} · queue {queue}",
  "queues.panelOnPbx": "{department} · queue {queue} ({pbx})",
  "queues.waitingCount": "{count} waiting",
  "queues.waiting": "Waiting",
  "queues.nobodyWaiting": "Nobody is waiting.",
  "queues.position": "{position}.",
  "queues.aCaller": "a caller",
  "queues.waitingFor": "waiting",
  "queues.agents": "Agents",
  "queues.noAgents": "No agents known yet.",
  "queues.anAgent": "an agent",
  "queues.loggedOut": "logged out",
  "queues.available": "available",
  "queues.paused": "paused",
  "queues.pausedFor": "paused: {reason}",
  "queues.pausedSince": "since {time}",
  "queues.onQueueCall": "on a queue call",
  "queues.others": "Other agents: {loggedIn} logged in, {paused} paused",
  "queues.today": "Today",
  "queues.answered": "Answered",
  "queues.abandoned": "Abandoned",
  "queues.longestWait": "Longest wait",
  "queues.pause": "Pause",
  "queues.resume": "Resume",
  "queues.logIn": "Log in",
  "queues.logOut": "Log out",
  "queues.logMeIn": "Log me in",
  "queues.reason": "reason (optional)",
  "queues.reasonFor": "Pause reason for {name}",
  "queues.changeSent": "Sent to the PBX: the panel shows it once the PBX reports it.",
  "queues.changeRefused": "Not done: {message}",
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
  "call.from": "Anruf von {caller}",
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
  "parked.by": "geparkt von {name}",
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
  "myStatus.title": "Mein Status",
  "myStatus.label": "Status",
  "myStatus.available": "Verfügbar",
  "myStatus.away": "Abwesend",
  "myStatus.dnd": "Nicht stören",
  "myStatus.note": "Notiz",
  "myStatus.notePlaceholder": "z. B. In einer Besprechung",
  "myStatus.until": "Bis",
  "myStatus.untilTime": "bis {time}",
  "myStatus.set": "Setzen",
  "myStatus.sent":
    "An die TK-Anlage gesendet: {status}. Die Tafel zeigt ihn, sobald die TK-Anlage ihn bestätigt.",
  "myStatus.failed": "Ihr Status konnte nicht gesetzt werden: {reason}",
  "recordings.title": "Aufnahmen",
  "recordings.department": "Abteilung",
  "recordings.allDepartments": "Alle Abteilungen",
  "recordings.refresh": "Aktualisieren",
  "recordings.date": "Datum",
  "recordings.parties": "Beteiligte",
  "recordings.duration": "Dauer",
  "recordings.actions": "Aktionen",
  "recordings.none": "Keine Aufnahmen, die Sie abspielen dürfen.",
  "recordings.hidden": "Details nicht sichtbar",
  "recordings.play": "Abspielen",
  "recordings.download": "Herunterladen",
  "recordings.playLabel": "Aufnahme vom {when} abspielen",
  "recordings.downloadLabel": "Aufnahme vom {when} herunterladen",
  "recordings.playing": "Aufnahme vom {when}",
  "recordings.failed": "Die Aufnahmen konnten nicht geladen werden: {status}",
  "recordings.linkFailed": "Die Aufnahme konnte nicht geöffnet werden: {status}",
  "recordings.playFailed":
    "Die Wiedergabe wurde unterbrochen (der Link ist vielleicht abgelaufen): bitte erneut abspielen.",
  "dial.title": "Anrufen",
  "dial.label": "Kollege oder Nummer",
  "dial.placeholder": "z. B. 1002 oder +49 30 1234567",
  "dial.call": "Anrufen",
  "dial.empty": "Geben Sie eine Nebenstelle oder Telefonnummer ein.",
  "dial.internalOnly": "Ihr Telefon klingelt zuerst. Nur Kollegen und interne Nebenstellen.",
  "dial.anyNumber": "Ihr Telefon klingelt zuerst, dann wird die Nummer mit Ihrer Nebenstelle gewählt.",
  "recent.title": "Letzte Anrufe",
  "recent.none": "Noch keine Anrufe.",
  "recent.failed": "Die letzten Anrufe konnten nicht geladen werden.",
  "recent.missed": "verpasst",
  "recent.busy": "besetzt",
  "recent.notAnswered": "nicht angenommen",
  "recent.answeredElsewhere": "von Kollegen angenommen",
  "recent.abandoned": "Anrufer hat in der Warteschlange aufgelegt",
  "recent.talked": "Gespräch {duration}",
  "recent.pickedUp": "übernommen von {who}",
  "recent.transferred": "weitergeleitet an {who}",
  "queues.title": "Warteschlangen",
  "queues.panel": "{department} · Warteschlange {queue}",
  "queues.panelOnPbx": "{department} · Warteschlange {queue} ({pbx})",
  "queues.waitingCount": "{count} wartend",
  "queues.waiting": "Wartend",
  "queues.nobodyWaiting": "Niemand wartet.",
  "queues.position": "{position}.",
  "queues.aCaller": "ein Anrufer",
  "queues.waitingFor": "wartet",
  "queues.agents": "Agenten",
  "queues.noAgents": "Noch keine Agenten bekannt.",
  "queues.anAgent": "ein Agent",
  "queues.loggedOut": "abgemeldet",
  "queues.available": "verfügbar",
  "queues.paused": "in Pause",
  "queues.pausedFor": "in Pause: {reason}",
  "queues.pausedSince": "seit {time}",
  "queues.onQueueCall": "im Warteschlangen-Gespräch",
  "queues.others": "Weitere Agenten: {loggedIn} angemeldet, {paused} in Pause",
  "queues.today": "Heute",
  "queues.answered": "Angenommen",
  "queues.abandoned": "Aufgelegt",
  "queues.longestWait": "Längste Wartezeit",
  "queues.pause": "Pause",
  "queues.resume": "Weiter",
  "queues.logIn": "Anmelden",
  "queues.logOut": "Abmelden",
  "queues.logMeIn": "Mich anmelden",
  "queues.reason": "Grund (optional)",
  "queues.reasonFor": "Pausengrund für {name}",
  "queues.changeSent": "An die Telefonanlage gesendet: das Feld zeigt es, sobald sie es meldet.",
  "queues.changeRefused": "Nicht ausgeführt: {message}",
};

export const LANGUAGES = {
  en: { name: "English", strings: EN },
  de: { name: "Deutsch", strings: DE },
} as const;
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
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]"))
    el.textContent = t(el.dataset.i18n as StringKey);
  for (const el of root.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]"))
    el.placeholder = t(el.dataset.i18nPlaceholder as StringKey);
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-label]"))
    el.setAttribute("aria-label", t(el.dataset.i18nLabel as StringKey));
}
