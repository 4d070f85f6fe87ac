// Opt-in desktop notifications: when a colleague whose call this viewer may pick up starts ringing, the
// browser says who rings and, where the viewer may see it, who calls.

import type { BoardView, PersonView } from "../../../src/domain/visibility.js";
import { byId } from "../session.js";
import { t } from "./strings.js";
import { partyText } from "./tiles.js";

const STORAGE_KEY = "callsight-notify";

export function notificationsWanted(): boolean {
  return (
    localStorage.getItem(STORAGE_KEY) === "on" &&
    "Notification" in window &&
    Notification.permission === "granted"
  );
}

export function wireNotifications(): void {
  const box = byId<HTMLInputElement>("notify");
  box.checked = notificationsWanted();
  if (!("Notification" in window)) {
    box.disabled = true;
    return;
  }
  box.addEventListener("change", () => {
    if (!box.checked) {
      localStorage.setItem(STORAGE_KEY, "off");
      return;
    }
    void Notification.requestPermission().then((permission) => {
      const granted = permission === "granted";
      localStorage.setItem(STORAGE_KEY, granted ? "on" : "off");
      box.checked = granted;
      if (!granted) byId("message").textContent = t("notify.denied");
    });
  });
}

function ringingFor(view: BoardView, person: PersonView): boolean {
  return person.id !== view.viewer && (person.calls ?? []).some((c) => c.state === "ringing");
}

/** The colleagues who started ringing between two views and whose calls this viewer may pick up. */
export function newlyRinging(before: BoardView | undefined, after: BoardView): PersonView[] {
  if (!before || !after.may.pickup) return [];
  const was = new Set(before.people.filter((p) => ringingFor(before, p)).map((p) => p.id));
  return after.people.filter((p) => ringingFor(after, p) && !was.has(p.id));
}

export function notifyRinging(before: BoardView | undefined, after: BoardView): void {
  if (!notificationsWanted()) return;
  for (const person of newlyRinging(before, after)) {
    const call = person.calls?.find((c) => c.state === "ringing");
    // With details the caller is among `remote`; on a call shown only because it may be picked up, `callers`.
    const caller = (call?.remote ?? call?.callers)?.map(partyText).join(", ");
    new Notification(t("notify.title", { name: person.name }), {
      body: caller ? t("notify.body", { caller }) : t("notify.bodyUnknown"),
      tag: `callsight-ringing-${person.id}`,
    });
  }
}
