// Changes worth hearing, for screen-reader users: whose presence changed since the last view, said once
// through a polite live region (a few names, then a count), never the whole board again.

import type { BoardView } from "../../../src/domain/visibility.js";
import { byId } from "../session.js";
import { presenceText, t } from "./strings.js";

const MAX_NAMED = 3;

/** What to announce going from `before` to `after` (nothing for the first view: the page says it all). */
export function presenceChanges(before: BoardView | undefined, after: BoardView): string | undefined {
  if (!before) return undefined;
  const previous = new Map(before.people.map((p) => [p.id, p.presence]));
  const lines: string[] = [];
  for (const p of after.people) {
    const was = previous.get(p.id);
    if (was !== undefined && was !== p.presence)
      lines.push(t("announce.changed", { name: p.name, presence: presenceText(p.presence) }));
  }
  if (lines.length === 0) return undefined;
  const named = lines.slice(0, MAX_NAMED);
  if (lines.length > MAX_NAMED) named.push(t("announce.more", { count: lines.length - MAX_NAMED }));
  return named.join("; ");
}

export function announce(text: string | undefined): void {
  if (text) byId("announcer").textContent = text;
}
