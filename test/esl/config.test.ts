// Configuration of an ESL pbx: `domain` (the FreeSWITCH directory domain Callsight dials users in, as
// dialplan/freeswitch/README.md tells operators to set it) and what the runtime's driver factory makes of it.

import pino from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load.js";
import { FreeswitchEslDriver } from "../../src/pbx/freeswitch-esl/driver.js";
import { driversFor } from "../../src/runtime/drivers.js";

const REST = `departments:
  - { id: sales, name: Sales }
users:
  - { id: a, name: A, extension: "1001", departments: [sales] }
`;

function parse(pbx: string) {
  return parseConfig(`pbx:\n${pbx}${REST}`, "t.yaml", {});
}

function problems(pbx: string): string[] {
  try {
    parse(pbx);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("driver esl configuration", () => {
  it("takes the directory domain and dials users in it", () => {
    const config = parse("  - { id: fs1, driver: esl, host: pbx1, secret: s, domain: pbx.example.com }\n");
    expect(config.pbx[0]).toEqual({
      id: "fs1",
      driver: "esl",
      host: "pbx1",
      port: 8021,
      secret: "s",
      trunks: [],
      domain: "pbx.example.com",
    });
    const [driver] = driversFor(config, pino({ level: "silent" }));
    expect(driver).toBeInstanceOf(FreeswitchEslDriver);
    const esl = driver as FreeswitchEslDriver;
    expect(esl.dialString(esl.endpointForExtension("1004"))).toBe("user/1004@pbx.example.com");
  });

  it("without a domain dials FreeSWITCH's default domain", () => {
    const config = parse("  - { id: fs1, driver: esl, host: pbx1, secret: s }\n");
    expect(config.pbx[0]?.domain).toBeUndefined();
    const esl = driversFor(config, pino({ level: "silent" }))[0] as FreeswitchEslDriver;
    expect(esl.dialString(esl.endpointForExtension("1004"))).toBe("user/1004");
  });

  it("refuses a domain that is no host name, and a domain on another driver", () => {
    expect(problems("  - { id: fs1, driver: esl, host: h, secret: s, domain: 'a b' }\n")).toEqual([
      expect.stringMatching(/^pbx\[0\]\.domain: expected a directory domain/),
    ]);
    expect(
      problems("  - { id: ast, driver: ami, host: h, username: u, secret: s, domain: x.org }\n"),
    ).toEqual(["pbx[0].domain: only for driver esl (this pbx uses driver ami)"]);
  });
});
