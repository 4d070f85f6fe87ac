import { describe, expect, it } from "vitest";
import { encodeBoardMessage, PartText, partJson } from "../../src/api/board/board-messages.js";
import type { BoardDelta } from "../../src/domain/board-changes.js";

const person = (id: string) =>
  ({ id, name: `User ${id}`, presence: "available", calls: [] }) as unknown as Extract<
    BoardDelta,
    { op: "person" }
  >["person"];

describe("board message encoding", () => {
  it("encodes a delta message exactly as JSON.stringify would", () => {
    const cache = new PartText();
    const deltas: BoardDelta[] = [
      { op: "person", person: person("2001") },
      { op: "person-removed", id: "2002" },
    ];
    const message = { type: "delta" as const, seq: 7, deltas };
    expect(encodeBoardMessage(message, cache)).toBe(JSON.stringify(message));
  });

  it("serializes a shared part once per flush and forgets it after two flushes unused", () => {
    const cache = new PartText();
    const part = person("2001");
    const first = partJson(part, cache);
    // The same object is never serialized again while its text is kept: a changed text proves reuse.
    (part as { name: string }).name = "changed";
    expect(partJson(part, cache)).toBe(first);
    cache.nextGeneration();
    expect(partJson(part, cache)).toBe(first); // used in the flush after: kept
    cache.nextGeneration();
    cache.nextGeneration();
    expect(partJson(part, cache)).toBe(JSON.stringify(part)); // two flushes unused: made again
    expect(partJson(part, cache)).not.toBe(first);
  });
});
