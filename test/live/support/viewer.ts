// A viewer on the WebSocket stream (/v1/stream), as the web board is: it keeps every raw frame (to
// check that no hidden field ever reached it) and the board as the frames build it up, and records the
// history of each person's state so a test can assert what was shown, not only what is shown now.

import WebSocket from "ws";
import { applyBoardDeltas } from "../../../src/domain/board-changes.js";
import type { BoardView, PersonView } from "../../../src/domain/visibility.js";
import type { LiveCallsight } from "./callsight.js";
import { until } from "./processes.js";

export class LiveViewer {
  readonly frames: string[] = [];
  view?: BoardView;
  /** Every version of each person this viewer was shown, in order. */
  readonly history = new Map<string, PersonView[]>();
  private socket?: WebSocket;

  private constructor(readonly user: string) {}

  static async connect(callsight: LiveCallsight, user: string): Promise<LiveViewer> {
    const v = new LiveViewer(user);
    const token = await callsight.token(user);
    const url = `${callsight.base.replace("http", "ws")}/v1/stream?access_token=${encodeURIComponent(token)}`;
    await v.open(url);
    return v;
  }

  private open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      this.socket = socket;
      socket.once("error", reject);
      socket.on("message", (data) => this.receive(String(data)));
      socket.once("open", () => resolve());
    });
  }

  private receive(text: string): void {
    this.frames.push(text);
    const message = JSON.parse(text);
    if (message.type === "snapshot") {
      this.view = message.view;
      for (const p of message.view.people) this.remember(p);
    } else if (message.type === "delta" && this.view) {
      this.view = applyBoardDeltas(this.view, message.deltas);
      for (const d of message.deltas) if (d.op === "person") this.remember(d.person);
    }
  }

  private remember(p: PersonView): void {
    const list = this.history.get(p.id) ?? [];
    list.push(p);
    this.history.set(p.id, list);
  }

  person(id: string): PersonView | undefined {
    return this.view?.people.find((p) => p.id === id);
  }

  /** Polls until the viewer's board satisfies `check`. */
  async sees<T>(what: string, check: (v: LiveViewer) => T, ms = 20_000): Promise<NonNullable<T>> {
    try {
      return await until(() => (this.view ? check(this) : undefined), `${this.user} to see ${what}`, ms, 50);
    } catch (err) {
      // Say what the board showed instead: the people on a call or not available, and the links.
      const shown = (this.view?.people ?? [])
        .filter((p) => p.calls?.length || p.presence !== "available")
        .map((p) => `${p.id} ${p.presence} ${JSON.stringify(p.calls ?? [])}`);
      throw new Error(`${(err as Error).message}; the board showed: ${shown.join("; ") || "nobody busy"}`);
    }
  }

  /** Whether any frame so far contains `text` (hidden fields must never appear in one). */
  everReceived(text: string): boolean {
    return this.frames.some((f) => f.includes(text));
  }

  /** Whether the WebSocket is still open (it was never dropped and reconnected: there is no reconnect). */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.socket?.close();
  }
}
