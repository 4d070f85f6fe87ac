// Configuration of an ARI pbx: the Stasis app name and the optional AMI companion, from the file
// and from the environment, and what the runtime's driver factory makes of them.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, directoryFromDocument, endpointRulesFor, parseConfig } from "../../src/config/load.js";
import { createAriDriver } from "../../src/pbx/asterisk-ari/descriptor.js";
import { featureTable } from "../../src/pbx/asterisk-ari/features.js";
import { EndpointClassifier } from "../../src/pbx/endpoints.js";
import { silentLogger } from "./helpers.js";

const REST = `departments:
  - { id: sales, name: Sales }
users:
  - { id: a, name: A, extension: "1001", departments: [sales] }
`;

function parse(pbx: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfig(`pbx:\n${pbx}${REST}`, "t.yaml", env);
}

function problems(pbx: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(pbx, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("driver ari configuration", () => {
  it("defaults the app to callsight, the port to 8088, and has no companion", () => {
    const config = parse("  - { id: ast, driver: ari, host: pbx1, username: cs, secret: s }\n");
    expect(config.pbx[0]).toEqual({
      id: "ast",
      driver: "ari",
      host: "pbx1",
      port: 8088,
      username: "cs",
      secret: "s",
      trunks: [],
      app: "callsight",
    });
  });

  it("reads the app and the AMI companion (same host, port default 5038)", () => {
    const config = parse(`  - id: ast
    driver: ari
    host: pbx1
    username: cs
    secret: s
    app: callsight-main
    companion: { username: cs-ami, secret: t }
`);
    expect(config.pbx[0]).toMatchObject({
      app: "callsight-main",
      companion: { port: 5038, username: "cs-ami", secret: "t" },
    });
  });

  it("takes the app and the companion's settings from the environment", () => {
    const config = parse("  - { id: ast-1, driver: ari, host: pbx1, username: cs, secret: s }\n", {
      CALLSIGHT_PBX_AST_1_APP: "cs2",
      CALLSIGHT_PBX_AST_1_COMPANION_USERNAME: "ami-user",
      CALLSIGHT_PBX_AST_1_COMPANION_SECRET: "ami-secret",
      CALLSIGHT_PBX_AST_1_COMPANION_PORT: "15038",
      CALLSIGHT_PBX_AST_1_SECRET: "ari-secret",
    });
    expect(config.pbx[0]).toMatchObject({
      app: "cs2",
      secret: "ari-secret",
      companion: { port: 15038, username: "ami-user", secret: "ami-secret" },
    });
  });

  it("names what is missing or wrong, with the variable that could supply it", () => {
    expect(
      problems("  - { id: ast, driver: ari, host: h, username: u, secret: s, companion: { port: 5038 } }\n"),
    ).toEqual([
      "pbx[0].companion.username: missing (the AMI companion needs a username) (or set CALLSIGHT_PBX_AST_COMPANION_USERNAME)",
      "pbx[0].companion.secret: missing (the AMI companion needs a secret) (or set CALLSIGHT_PBX_AST_COMPANION_SECRET)",
    ]);
    expect(
      problems(
        "  - { id: ast, driver: ari, host: h, username: u, secret: s, companion: { username: a, secret: b, secert: c } }\n",
      ),
    ).toEqual([expect.stringMatching(/^pbx\[0\]\.companion\.secert: unknown key/)]);
    expect(
      problems("  - { id: ast, driver: ari, host: h, username: u, secret: s, app: 'call sight' }\n"),
    ).toEqual([expect.stringMatching(/^pbx\[0\]\.app: expected a Stasis application name/)]);
    expect(
      problems(
        "  - { id: main, driver: ami, host: h, username: u, secret: s, app: x, companion: { username: a, secret: b } }\n",
      ),
    ).toEqual([
      "pbx[0].app: only for driver ari (this pbx uses driver ami)",
      "pbx[0].companion: only for driver ari (this pbx uses driver ami)",
    ]);
    expect(
      problems("  - { id: ast, driver: ari, host: h, username: u, secret: s }\n", {
        CALLSIGHT_PBX_AST_COMPANION_PORT: "x",
        CALLSIGHT_PBX_NOPE_COMPANION_SECRET: "y",
      }),
    ).toEqual([
      'CALLSIGHT_PBX_AST_COMPANION_PORT: expected a port number (1-65535), got "x"',
      'CALLSIGHT_PBX_NOPE_COMPANION_SECRET: there is no pbx "nope" in the file (pbx ids: ast)',
    ]);
  });

  it("queueMember: Asterisk's login template with {extension}; FreeSWITCH refuses it", () => {
    const config = parse(
      '  - { id: ast, driver: ari, host: h, username: u, secret: s, queueMember: { interface: "SIP/{extension}", stateInterface: "SIP/{extension}" } }\n',
    );
    expect(config.pbx[0]?.queueMember).toEqual({
      interface: "SIP/{extension}",
      stateInterface: "SIP/{extension}",
    });
    expect(
      problems(
        '  - { id: ast, driver: ami, host: h, username: u, secret: s, queueMember: { interface: "Local/1001@from-queue/n", stateInterface: "hint:{extension}@ext-local" } }\n',
      ),
    ).toEqual([
      expect.stringMatching(
        /^pbx\[0\]\.queueMember\.interface: expected an interface with \{extension\} in it/,
      ),
    ]);
    expect(
      problems(
        '  - { id: fs, driver: esl, host: h, secret: s, queueMember: { interface: "x/{extension}", stateInterface: "x/{extension}" } }\n',
      ),
    ).toEqual([expect.stringMatching(/^pbx\[0\]\.queueMember: only for Asterisk/)]);
  });

  it("keeps the connection settings when the admin API replaces the directory", () => {
    const config = parse(
      "  - { id: ast, driver: ari, host: h, username: u, secret: s, companion: { username: a, secret: b } }\n",
    );
    const { directory } = directoryFromDocument(config, {
      departments: [{ id: "sales", name: "Sales" }],
      users: [{ id: "b", name: "B", extension: "1002", departments: ["sales"] }],
    });
    expect([...directory.users.keys()]).toEqual(["b"]);
  });

  it("builds the ARI driver of a configured pbx, with its companion when there is one", () => {
    const config = parse(
      "  - { id: ast, driver: ari, host: 127.0.0.1, username: u, secret: s, companion: { username: a, secret: b } }\n",
    );
    const pbx = config.pbx[0]!;
    const driver = createAriDriver(
      pbx,
      new EndpointClassifier(endpointRulesFor(config, "ast")),
      silentLogger(),
    );
    expect(driver.pbx).toBe("ast");
    expect(driver.app).toBe("callsight");
    expect(driver.status()).toMatchObject({ driver: "asterisk-ari", connected: false });
    expect(driver.companionStatus()).toMatchObject({ driver: "asterisk-ami-companion", connected: false });
    expect(driver.degradedFeatures()).toEqual([]);
    const alone = createAriDriver(
      parse("  - { id: ast, driver: ari, host: 127.0.0.1, username: u, secret: s }\n").pbx[0]!,
      new EndpointClassifier(),
      silentLogger(),
    );
    expect(alone.companionStatus()).toBeUndefined();
    expect(alone.degradedFeatures().length).toBeGreaterThan(0);
  });
});

describe("the ARI README", () => {
  it("shows the feature table of features.ts", () => {
    // Cells only: the formatter pads the Markdown table.
    const cells = (text: string) =>
      text
        .split("\n")
        .filter((l) => l.startsWith("|") && !/^\|[\s|:-]+\|$/.test(l))
        .map((l) =>
          l
            .slice(1, -1)
            .split("|")
            .map((c) => c.trim()),
        );
    const readme = cells(readFileSync("src/pbx/asterisk-ari/README.md", "utf8"));
    const table = cells(featureTable());
    const start = readme.findIndex((row) => row[0] === "feature" && row[1] === "AMI");
    expect(readme.slice(start, start + table.length)).toEqual(table);
  });
});
