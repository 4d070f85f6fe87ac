// What every driver checks of a click-to-call request before it reaches the PBX, and the caller id it
// presents: a request built elsewhere (or relayed from another instance) cannot smuggle a header, an
// argument or a second command into an AMI action, an ARI query or an ESL command line.

import { describe, expect, it } from "vitest";
import {
  asteriskCallerId,
  callerIdName,
  DEFAULT_DIAL_CONTEXT,
  unusableDial,
} from "../../src/pbx/dial-request.js";
import type { DialRequest } from "../../src/pbx/driver.js";

const ok: DialRequest = {
  callerEndpoint: "PJSIP/1001",
  destination: "1002",
  context: "from-internal",
  callerIdNumber: "1001",
  callerIdName: "Alice Sales",
};

describe("click-to-call requests", () => {
  it("takes digits with a leading +, a plain context and an extension", () => {
    expect(unusableDial(ok)).toBeUndefined();
    expect(unusableDial({ ...ok, destination: "+4930123456" })).toBeUndefined();
  });

  it("refuses (409) anything else as a destination, a context or a caller id number", () => {
    for (const bad of [
      { destination: "1002\r\nAction: Command" },
      { destination: "1002 XML other" },
      { destination: "" },
      { context: "from internal" },
      { context: "x\nActionID: 1" },
      { callerIdNumber: "1001}user/1003" },
    ])
      expect(unusableDial({ ...ok, ...bad })).toMatchObject({
        status: "refused",
        reason: "invalid-argument",
      });
  });

  it("presents the caller's extension and name, the name stripped of what would break a caller id", () => {
    expect(asteriskCallerId(ok)).toBe('"Alice Sales" <1001>');
    expect(asteriskCallerId({ ...ok, callerIdName: 'Eve "<9>"\r\nX' })).toBe('"Eve 9 X" <1001>');
    const { callerIdName: _none, ...unnamed } = ok;
    expect(asteriskCallerId(unnamed)).toBe("<1001>");
    expect(callerIdName({ ...ok, callerIdName: "{a,b}'c" })).toBe("a b c");
  });

  it("dials in the usual internal context when the pbx entry names none", () => {
    expect(DEFAULT_DIAL_CONTEXT).toEqual({ asterisk: "from-internal", freeswitch: "default" });
  });
});
