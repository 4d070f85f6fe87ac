// Click-to-call's rule (O6 in docs/design.md): whom V may have Callsight call, from the directory and the
// PBX's extension rule alone. A colleague on V's board by user id; any number that is a colleague's
// extension or matches extensionPattern; an outside number only with dialExternal; admins pass both
// switches. A user id V does not see is refused exactly like one that does not exist.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authorizeDial, type DialRules, dialNumber } from "../../src/domain/dial-right.js";
import { defaultSettings, makeDirectory, type User } from "../../src/domain/directory.js";
import { canSeePresence } from "../../src/domain/visibility.js";
import { directoryArb } from "./arbitraries.js";

function user(id: string, extension: string, departments: string[], patch: Partial<User> = {}): User {
  return {
    id,
    name: `${id} name`,
    extension,
    pbx: "main",
    devices: [],
    departments,
    role: "agent",
    settings: defaultSettings(),
    ...patch,
  };
}

const RULES: DialRules = { isExtension: (n) => /^\d{2,6}$/.test(n) };

const hidden = user("carol", "1003", ["sales"]);
hidden.settings.sharePresence = false;
const allowedOut = user("erin", "1005", ["sales"]);
allowedOut.settings.operations.dialExternal = true;
const noDial = user("frank", "1006", ["sales"]);
noDial.settings.operations.dial = false;
const DIR = makeDirectory(
  [
    { id: "sales", name: "Sales" },
    { id: "support", name: "Support" },
  ],
  [
    user("alice", "1001", ["sales"]),
    user("bob", "1002", ["sales"]),
    hidden,
    user("dave", "1004", ["support"]),
    allowedOut,
    noDial,
    user("ada", "1099", ["support"], { role: "admin" }),
  ],
);

describe("dialNumber", () => {
  it("keeps the digits and a leading +, drops what people write between them", () => {
    expect(dialNumber("+49 (30) 1234-56")).toBe("+4930123456");
    expect(dialNumber(" 1002 ")).toBe("1002");
    expect(dialNumber("1.777.873.2492")).toBe("17778732492");
    expect(dialNumber("030/123 45")).toBe("03012345");
  });
  it("a number written wrong is invalid; anything else is no number at all", () => {
    expect(dialNumber("12+34")).toBe("invalid");
    expect(dialNumber("+")).toBeUndefined();
    expect(dialNumber("1".repeat(33))).toBe("invalid");
    expect(dialNumber("alice")).toBeUndefined();
    expect(dialNumber("*78")).toBeUndefined();
    expect(dialNumber("1002;x")).toBeUndefined();
  });
});

describe("authorizeDial", () => {
  const dial = (viewer: string, to: string) => authorizeDial(DIR, viewer, to, RULES);

  it("a colleague on the viewer's board, by user id: their extension, internal", () => {
    expect(dial("alice", "bob")).toEqual({
      allowed: true,
      destination: "1002",
      external: false,
      colleague: "bob",
    });
  });

  it("a user id the viewer does not see is refused like one that does not exist, with the field named", () => {
    const invisible = dial("alice", "carol");
    const unknown = dial("alice", "nobody");
    const other = dial("alice", "dave");
    expect(invisible).toMatchObject({ allowed: false, reason: "unknown-target" });
    for (const d of [invisible, unknown, other]) {
      expect(d.allowed).toBe(false);
      if (d.allowed) continue;
      expect(d.reason).toBe("unknown-target");
      expect(d.message.startsWith("to: ")).toBe(true);
    }
    // The same text but the name typed: nothing else tells them apart.
    if (!invisible.allowed && !unknown.allowed)
      expect(invisible.message.replace("carol", "X")).toBe(unknown.message.replace("nobody", "X"));
  });

  it("any extension may be dialled as a number, whoever has it (a phone can dial it too)", () => {
    expect(dial("alice", "1003")).toEqual({ allowed: true, destination: "1003", external: false });
    expect(dial("alice", "1004")).toMatchObject({ allowed: true, external: false });
    // Not in the directory but an extension by the PBX's pattern (an IVR, a ring group).
    expect(dial("alice", "500")).toMatchObject({ allowed: true, destination: "500", external: false });
  });

  it("an outside number needs dialExternal; admins pass both switches", () => {
    expect(dial("alice", "+1 777 873-2492")).toMatchObject({
      allowed: false,
      reason: "external-not-allowed",
    });
    expect(dial("erin", "+1 777 873-2492")).toEqual({
      allowed: true,
      destination: "+17778732492",
      external: true,
    });
    expect(dial("ada", "17778732492")).toMatchObject({ allowed: true, external: true });
    expect(dial("ada", "carol")).toMatchObject({ allowed: true, destination: "1003", colleague: "carol" });
  });

  it("the dial switch first, before anything about `to`", () => {
    for (const to of ["bob", "nobody", "12+34", ""])
      expect(dial("frank", to)).toMatchObject({ allowed: false, reason: "operation-disabled" });
    expect(dial("ghost", "bob")).toMatchObject({ allowed: false, reason: "unknown-viewer" });
  });

  it("oneself, an empty or malformed `to`: invalid-target, the field named", () => {
    for (const to of ["alice", "1001", "  ", "12+34", "1".repeat(40)]) {
      const d = dial("alice", to);
      expect(d, to).toMatchObject({ allowed: false, reason: "invalid-target" });
      if (!d.allowed) expect(d.message.startsWith("to: ")).toBe(true);
    }
  });

  it("on random directories: allowed exactly as the rule says", () => {
    fc.assert(
      fc.property(directoryArb(), fc.nat(), fc.nat(), fc.boolean(), (directory, vi, ti, asNumber) => {
        const users = [...directory.users.values()];
        const v = users[vi % users.length]!;
        const t = users[ti % users.length]!;
        const to = asNumber ? t.extension : t.id;
        const d = authorizeDial(directory, v.id, to, { isExtension: () => false });
        const admin = v.role === "admin";
        if (!admin && !v.settings.operations.dial) {
          expect(d).toMatchObject({ allowed: false, reason: "operation-disabled" });
          return;
        }
        const sees = admin || canSeePresence(v, t);
        const byId = directory.users.get(to);
        if (t.id === v.id || (!asNumber && !sees && dialNumber(to) === undefined) || to === v.extension) {
          expect(d.allowed).toBe(false);
          return;
        }
        // A colleague's extension is never an outside number.
        if (asNumber && !byId)
          expect(d).toMatchObject({ allowed: true, destination: t.extension, external: false });
        if (d.allowed) expect(d.external).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
