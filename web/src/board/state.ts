// What the board holds: the viewer's token, the view as the server last sent it, the stream position, and
// the viewer's layout choices (kept in this browser).

import type { BoardView, PersonView } from "../../../src/domain/visibility.js";

export type SortOrder = "name" | "presence";

export interface BoardState {
  token: string;
  view?: BoardView;
  session?: string;
  seq: number;
  retryMs: number;
  search: string;
  sort: SortOrder;
  compact: boolean;
}

const LAYOUT_KEY = "callsight-board-layout";

function savedLayout(): Pick<BoardState, "sort" | "compact"> {
  try {
    const saved = JSON.parse(localStorage.getItem(LAYOUT_KEY) ?? "{}") as {
      sort?: unknown;
      compact?: unknown;
    };
    return { sort: saved.sort === "presence" ? "presence" : "name", compact: saved.compact === true };
  } catch {
    return { sort: "name", compact: false };
  }
}

export const state: BoardState = { token: "", seq: 0, retryMs: 500, search: "", ...savedLayout() };

export function saveLayout(): void {
  localStorage.setItem(LAYOUT_KEY, JSON.stringify({ sort: state.sort, compact: state.compact }));
}

export function personById(id: string): PersonView | undefined {
  return state.view?.people.find((p) => p.id === id);
}

export function nameOf(userId: string): string {
  return personById(userId)?.name ?? userId;
}

/** How long ago, as the board shows it: `42s`, `3m05`, `1h02`. */
export function since(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}`;
}

/** A span whose text is kept as "time since `ms`" by the board's clock (one tick updates them all). */
export function sinceSpan(ms: number): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "since";
  span.dataset.since = String(ms);
  span.textContent = since(ms);
  return span;
}

/** The board's clock: refreshes every "since" text on the page without rebuilding anything. */
export function tickSince(root: ParentNode = document): void {
  const now = Date.now();
  for (const span of root.querySelectorAll<HTMLElement>("span.since[data-since]")) {
    const text = since(Number(span.dataset.since), now);
    if (span.textContent !== text) span.textContent = text;
  }
}
