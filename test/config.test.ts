import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, endpointRulesFor, loadConfig, parseConfig } from "../src/config/load.js";
import { defaultSettings, OPERATIONS, type UserSettings } from "../src/domain/directory.js";
import { DEFAULT_EXTENSION_PATTERN, EndpointClassifier } from "../src/pbx/endpoints.js";

const EXAMPLE = fileURLToPath(new URL("../callsight.example.yaml", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/config/${name}`, import.meta.url));

const PBX = `pbx:
  - { id: main, driver: ami, host: 127.0.0.1, username: callsight, secret: change-me }
`;
const DEPARTMENTS = `departments:
  - { id: sales, name: Sales }
  - { id: support, name: Support }
`;

/** A small valid file with the given users block appended. */
function file(users: string, pbx = PBX): string {
  return `${pbx}${DEPARTMENTS}users:\n${users}`;
}

/** The ConfigError a parse throws (fails the test when it does not throw one). */
function problemsOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("the sample callsight.example.yaml", () => {
  const config = loadConfig(EXAMPLE, {});
  const users = [...config.directory.users.values()];

  it("has one AMI pbx with a trunk and an IVR", () => {
    expect(config.file).toBe(EXAMPLE);
    expect(config.pbx).toEqual([
      {
        id: "main",
        driver: "ami",
        host: "127.0.0.1",
        port: 5038,
        username: "callsight",
        secret: "change-me",
        trunks: ["carrier"],
        extensionPattern: "^\\d{2,6}$",
        ivr: { context: "ivr", exten: "s" },
      },
    ]);
    expect(config.recording).toEqual({
      directory: "/var/spool/asterisk/monitor",
      store: "/var/lib/callsight/recordings",
      retentionDays: 365,
      beepSeconds: 0,
      departments: { support: { retentionDays: 730, beepSeconds: 15 } },
    });
    expect(config.directory.monitoringRoles).toEqual(["supervisor", "admin"]);
  });

  it("has two departments with three users each, plus an admin in both", () => {
    expect([...config.directory.departments.values()]).toEqual([
      { id: "sales", name: "Sales" },
      { id: "support", name: "Support" },
    ]);
    const inDepartment = (d: string) => users.filter((u) => u.departments.includes(d) && u.role !== "admin");
    expect(inDepartment("sales").map((u) => u.name)).toEqual(["Alice Sales", "Bob Sales", "Carol Sales"]);
    expect(inDepartment("support").map((u) => u.name)).toEqual([
      "Dave Support",
      "Erin Support",
      "Frank Support",
    ]);
    for (const u of users) {
      if (u.id !== "admin") expect(u.id).toBe(u.extension);
      expect(u.pbx).toBe("main");
    }
    const admin = config.directory.users.get("admin")!;
    expect(admin).toMatchObject({ extension: "1099", role: "admin", departments: ["sales", "support"] });
    expect(config.directory.users.get("1004")!.role).toBe("supervisor");
    expect(config.directory.users.get("1004")!.settings.operations).toMatchObject({
      listen: true,
      whisper: true,
      barge: true,
    });
  });

  it("sets every switch to a non-default value at least once", () => {
    const defaults = defaultSettings();
    const scalarKeys = ["showMyCalls", "presence", "calls", "sharePresence", "recording"] as const;
    for (const key of scalarKeys) {
      expect(
        users.some((u) => u.settings[key] !== defaults[key]),
        `${key} never differs from its default`,
      ).toBe(true);
    }
    for (const op of OPERATIONS) {
      expect(
        users.some((u) => u.settings.operations[op] !== defaults.operations[op]),
        `operations.${op} never differs from its default`,
      ).toBe(true);
    }
    expect(users.some((u) => u.settings.pickupDelegates.length > 0)).toBe(true);
    const policies = new Set(users.map((u) => u.settings.recording));
    expect(policies).toEqual(new Set(["off", "external", "all"]));
  });

  it("gives Alice two devices and a delegate outside her department", () => {
    const alice = config.directory.users.get("1001")!;
    expect(alice.devices).toEqual([
      { pbx: "main", endpoint: "PJSIP/1001" },
      { pbx: "main", endpoint: "PJSIP/alice-mobile" },
    ]);
    expect(alice.settings.pickupDelegates).toEqual(["1004"]);
    expect(config.directory.users.get("1004")!.departments).toEqual(["support"]);
  });

  it("gives the drivers endpoint rules", () => {
    const rules = endpointRulesFor(config, "main");
    expect(rules.trunks).toEqual(["carrier"]);
    expect(rules.devices).toEqual(["PJSIP/1001", "PJSIP/alice-mobile"]);
    expect(rules.extensionPattern.source).toBe("^\\d{2,6}$");
    const classifier = new EndpointClassifier(rules);
    expect(classifier.side("PJSIP/alice-mobile", "alice-mobile")).toBe("internal");
    expect(classifier.side("PJSIP/1002", "1002")).toBe("internal");
    expect(classifier.side("PJSIP/carrier", "carrier")).toBe("external");
  });
});

describe("defaults", () => {
  it("fills in port, role, settings, monitoring roles, recording directory and the user's pbx", () => {
    const config = parseConfig(
      file('  - { id: alice, name: Alice, extension: "1001", departments: [sales] }\n'),
      "t.yaml",
      {},
    );
    expect(config.pbx[0]).toEqual({
      id: "main",
      driver: "ami",
      host: "127.0.0.1",
      port: 5038,
      username: "callsight",
      secret: "change-me",
      trunks: [],
    });
    expect(config.directory.monitoringRoles).toEqual(["supervisor", "admin"]);
    expect(config.recording.directory).toBe("/var/spool/asterisk/monitor");
    const alice = config.directory.users.get("alice")!;
    expect(alice).toEqual({
      id: "alice",
      name: "Alice",
      extension: "1001",
      pbx: "main",
      devices: [],
      departments: ["sales"],
      role: "agent",
      settings: defaultSettings(),
    });
    const rules = endpointRulesFor(config, "main");
    expect(rules).toEqual({ trunks: [], devices: [], extensionPattern: DEFAULT_EXTENSION_PATTERN });
  });

  it("uses each driver's default port", () => {
    const config = parseConfig(
      file(
        '  - { id: a, name: A, extension: "10", pbx: ast, departments: [sales] }\n',
        `pbx:
  - { id: ast, driver: ari, host: pbx1, username: u, secret: s }
  - { id: fs, driver: esl, host: pbx2, secret: ClueCon }
`,
      ),
      "t.yaml",
      {},
    );
    expect(config.pbx.map((p) => p.port)).toEqual([8088, 8021]);
  });

  it("merges partial operations over the defaults", () => {
    const config = parseConfig(
      file(
        '  - { id: a, name: A, extension: "10", departments: [sales], operations: { pickup: false, listen: true } }\n',
      ),
      "t.yaml",
      {},
    );
    const expected: UserSettings["operations"] = {
      ...defaultSettings().operations,
      pickup: false,
      listen: true,
    };
    expect(config.directory.users.get("a")!.settings.operations).toEqual(expected);
  });

  it("reads numbers written without quotes as strings, keeping leading zeros", () => {
    const config = parseConfig(
      file(`  - { id: 1001, name: A, extension: 1001, departments: [sales], pickupDelegates: [0123] }
  - { id: 0123, name: B, extension: 0123, departments: [sales] }
`),
      "t.yaml",
      {},
    );
    expect([...config.directory.users.keys()]).toEqual(["1001", "0123"]);
    expect(config.directory.users.get("0123")!.extension).toBe("0123");
    expect(config.directory.users.get("1001")!.settings.pickupDelegates).toEqual(["0123"]);
  });

  it("honours an explicit monitoringRoles list and recording directory", () => {
    const config = parseConfig(
      `monitoringRoles: [admin]\nrecording: { directory: /srv/rec }\n${file('  - { id: a, name: A, extension: "10", departments: [sales] }\n')}`,
      "t.yaml",
      {},
    );
    expect(config.directory.monitoringRoles).toEqual(["admin"]);
    expect(config.recording.directory).toBe("/srv/rec");
  });

  it("reads the recording store and retention, globally and per department", () => {
    const config = parseConfig(
      `recording: { store: /srv/store, retentionDays: 90, departments: { sales: { retentionDays: 30 } } }\n${file('  - { id: a, name: A, extension: "10", departments: [sales] }\n')}`,
      "t.yaml",
      {},
    );
    expect(config.recording).toEqual({
      directory: "/var/spool/asterisk/monitor",
      store: "/srv/store",
      retentionDays: 90,
      beepSeconds: 0,
      departments: { sales: { retentionDays: 30 } },
    });
  });

  it("departments own queues by the PBX's name: on a known PBX, named when there are several, none twice", () => {
    const users = 'users:\n  - { id: a, name: A, extension: "10", departments: [sales], pbx: main }\n';
    const two = `${PBX}  - { id: other, driver: esl, host: 127.0.0.1, secret: x }\n`;
    const config = parseConfig(
      `${PBX}timeZone: Europe/Berlin\ndepartments:\n  - { id: sales, name: Sales, queues: [{ name: "400" }] }\n${users.replace(", pbx: main", "")}`,
      "t.yaml",
      {},
    );
    expect(config.directory.departments.get("sales")?.queues).toEqual([{ pbx: "main", name: "400" }]);
    expect(config.timeZone).toBe("Europe/Berlin");
    const problems = problemsOf(() =>
      parseConfig(
        `${two}timeZone: Mars/Olympus\ndepartments:\n  - { id: sales, name: Sales, queues: [{ name: "400" }, { name: "500", pbx: nowhere }, { name: "600", pbx: main }, { name: "600", pbx: main }] }\n${users}`,
        "t.yaml",
        {},
      ),
    ).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timeZone: unknown time zone/),
        expect.stringMatching(
          /^departments\[0\]\.queues\[0\]\.pbx: missing \(needed when there is more than one pbx/,
        ),
        expect.stringMatching(/^departments\[0\]\.queues\[1\]\.pbx: unknown pbx "nowhere"/),
        expect.stringMatching(
          /^departments\[0\]\.queues\[3\]\.name: queue "600" of pbx main is listed twice/,
        ),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("rejects a retention for an unknown department or a retention that is not a positive integer", () => {
    const error = problemsOf(() =>
      parseConfig(
        `recording: { departments: { marketing: { retentionDays: 30 } } }\n${file('  - { id: a, name: A, extension: "10", departments: [sales] }\n')}`,
        "t.yaml",
        {},
      ),
    );
    expect(error.problems).toEqual(['recording.departments.marketing: unknown department "marketing"']);
    const zero = problemsOf(() =>
      parseConfig(
        `recording: { retentionDays: 0 }\n${file('  - { id: a, name: A, extension: "10", departments: [sales] }\n')}`,
        "t.yaml",
        {},
      ),
    );
    expect(zero.problems).toHaveLength(1);
    expect(zero.problems[0]).toMatch(/^recording\.retentionDays: /);
  });
});

describe("bad files", () => {
  const cases: [fixture: string, lines: string[]][] = [
    [
      "wrong-types.yaml",
      [
        'pbx[0].port: expected number, got string "5038x"',
        'users[0].showMyCalls: expected boolean, got string "yes"',
        "users[0].operations.pickup: expected boolean, got number 1",
      ],
    ],
    ["unknown-department.yaml", ['users[0].departments[0]: unknown department "marketing"']],
    [
      "duplicate-extension.yaml",
      ['users[2].extension: duplicate extension "1002" on pbx main (also users[1])'],
    ],
    ["unknown-delegate.yaml", ['users[1].pickupDelegates[0]: unknown user "zed"']],
    ["bad-recording.yaml", ['users[3].recording: expected off | external | all, got "sometimes"']],
    [
      "unknown-key.yaml",
      [
        'users[0].showMyCall: unknown key (did you mean "showMyCalls"?)',
        'users[0].operations.wisper: unknown key (did you mean "whisper"?)',
      ],
    ],
    [
      "invalid-yaml.yaml",
      ["invalid YAML at line 8, column 1: Flow sequence in block collection must be sufficiently indented"],
    ],
    [
      "bad-extension-pattern.yaml",
      ["pbx[0].extensionPattern: invalid regular expression: /^(\\d{2,6}$/: Unterminated group"],
    ],
  ];

  it.each(cases)("%s", (name, lines) => {
    const path = fixture(name);
    const error = problemsOf(() => loadConfig(path, {}));
    expect(error.file).toBe(path);
    expect(error.problems).toHaveLength(lines.length);
    for (const line of lines) {
      expect(error.message).toContain(`${path}: ${line}`);
      expect(error.problems.some((p) => p.startsWith(line))).toBe(true);
    }
  });

  it("names the file in the message, one line per problem", () => {
    const error = problemsOf(() =>
      parseConfig(
        file(`  - { id: a, name: A, extension: "10", departments: [marketing], recording: sometimes }
  - { id: b, name: B, extension: "11", departments: [sales], showMyCalls: "yes" }
`),
        "callsight.yaml",
        {},
      ),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ConfigError");
    expect(error.message.split("\n")).toEqual(error.problems.map((p) => `callsight.yaml: ${p}`));
    // Schema problems and cross-reference problems are reported together.
    expect(error.message).toContain(
      'callsight.yaml: users[0].recording: expected off | external | all, got "sometimes"',
    );
    expect(error.message).toContain(
      'callsight.yaml: users[1].showMyCalls: expected boolean, got string "yes"',
    );
    expect(error.message).toContain(
      'callsight.yaml: users[0].departments[0]: unknown department "marketing"',
    );
  });

  it("reports an unknown pbx, duplicate ids and a missing pbx", () => {
    const twoPbx = `pbx:
  - { id: main, driver: ami, host: a, username: u, secret: s }
  - { id: main, driver: esl, host: b, secret: s }
  - { id: branch, driver: esl, host: c, secret: s }
`;
    const error = problemsOf(() =>
      parseConfig(
        `${twoPbx}departments:
  - { id: sales, name: Sales }
  - { id: sales, name: Sales again }
users:
  - { id: a, name: A, extension: "10", departments: [sales], pbx: other }
  - { id: a, name: A2, extension: "11", departments: [sales], pbx: main }
  - { id: c, name: C, extension: "12", departments: [sales] }
`,
        "callsight.yaml",
        {},
      ),
    );
    expect(error.problems).toEqual([
      'pbx[1].id: duplicate pbx id "main" (also pbx[0])',
      'departments[1].id: duplicate department id "sales" (also departments[0])',
      'users[1].id: duplicate user id "a" (also users[0])',
      'users[0].pbx: unknown pbx "other" (pbx ids: main, branch)',
      "users[2].pbx: missing (needed when there is more than one pbx: main, branch)",
    ]);
  });

  it("reports the same device on two users, extensions outside the pattern and missing credentials", () => {
    const error = problemsOf(() =>
      parseConfig(
        file(
          `  - { id: a, name: A, extension: "1234567", departments: [sales], devices: [PJSIP/desk] }
  - { id: b, name: B, extension: "11", departments: [sales], devices: [PJSIP/desk] }
`,
          "pbx:\n  - { id: main, driver: ami, host: a }\n",
        ),
        "callsight.yaml",
        {},
      ),
    );
    expect(error.problems).toEqual([
      "pbx[0].username: missing (driver ami needs a username) (or set CALLSIGHT_PBX_MAIN_USERNAME)",
      "pbx[0].secret: missing (driver ami needs a secret) (or set CALLSIGHT_PBX_MAIN_SECRET)",
      'users[0].extension: "1234567" does not match the extensionPattern ^\\d{2,6}$ of pbx main',
      'users[1].devices[0]: duplicate device "PJSIP/desk" on pbx main (also users[0].devices[0])',
    ]);
  });

  it("reports missing keys, bad ids and empty lists", () => {
    const error = problemsOf(() =>
      parseConfig(
        `pbx:\n  - { id: Main, driver: sip, host: a, username: u, secret: s, port: 70000 }\ndepartments: []\nusers:\n  - { id: a, extension: "1x", departments: [] }\n`,
        "callsight.yaml",
        {},
      ),
    );
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'pbx[0].id: expected an id of lowercase letters, digits and "-", got "Main"',
        'pbx[0].driver: expected ami | ari | esl, got "sip"',
        "pbx[0].port: expected at most 65535, got number 70000",
        "departments: expected at least 1 entry",
        "users[0].name: missing (expected string)",
        'users[0].extension: expected a string of digits, got "1x"',
        "users[0].departments: expected at least 1 entry",
      ]),
    );
  });

  it("reports duplicate YAML keys with their line", () => {
    const error = problemsOf(() => parseConfig("pbx: []\npbx: []\n", "callsight.yaml", {}));
    expect(error.message).toBe("callsight.yaml: invalid YAML at line 2, column 1: Map keys must be unique");
  });

  it("reports an empty file and a top level that is not a mapping", () => {
    expect(problemsOf(() => parseConfig("# nothing\n", "c.yaml", {})).message).toBe(
      "c.yaml: the file is empty",
    );
    expect(problemsOf(() => parseConfig("- a\n", "c.yaml", {})).message).toBe(
      "c.yaml: top level: expected mapping, got list",
    );
  });

  it("names the path of a missing file", () => {
    const error = problemsOf(() => loadConfig("/nonexistent/callsight.yaml", {}));
    expect(error.file).toBe("/nonexistent/callsight.yaml");
    expect(error.message).toBe("/nonexistent/callsight.yaml: file not found");
  });
});

describe("environment overrides", () => {
  const users = '  - { id: a, name: A, extension: "10", departments: [sales] }\n';

  it("override host, port, username and secret of a pbx", () => {
    const config = parseConfig(file(users), "t.yaml", {
      CALLSIGHT_PBX_MAIN_HOST: "pbx.example.net",
      CALLSIGHT_PBX_MAIN_PORT: "15038",
      CALLSIGHT_PBX_MAIN_USERNAME: "ops",
      CALLSIGHT_PBX_MAIN_SECRET: "s3cret",
      CALLSIGHT_PBX_MAIN_SOMETHING: "ignored",
      UNRELATED: "x",
    });
    expect(config.pbx[0]).toMatchObject({
      host: "pbx.example.net",
      port: 15038,
      username: "ops",
      secret: "s3cret",
    });
  });

  it("map a pbx id with dashes and supply credentials missing from the file", () => {
    const config = parseConfig(file(users, "pbx:\n  - { id: fs-1, driver: esl, host: a }\n"), "t.yaml", {
      CALLSIGHT_PBX_FS_1_SECRET: "ClueCon",
    });
    expect(config.pbx[0]).toMatchObject({ id: "fs-1", port: 8021, secret: "ClueCon" });
  });

  it("ignore empty variables", () => {
    const config = parseConfig(file(users), "t.yaml", { CALLSIGHT_PBX_MAIN_HOST: "" });
    expect(config.pbx[0]!.host).toBe("127.0.0.1");
  });

  it("reject a port that is not a number, naming the variable", () => {
    const error = problemsOf(() => parseConfig(file(users), "t.yaml", { CALLSIGHT_PBX_MAIN_PORT: "ami" }));
    expect(error.message).toBe(
      't.yaml: CALLSIGHT_PBX_MAIN_PORT: expected a port number (1-65535), got "ami"',
    );
  });

  it("reject a variable for a pbx that is not in the file", () => {
    const error = problemsOf(() => parseConfig(file(users), "t.yaml", { CALLSIGHT_PBX_BACKUP_HOST: "b" }));
    expect(error.problems).toEqual([
      'CALLSIGHT_PBX_BACKUP_HOST: there is no pbx "backup" in the file (pbx ids: main)',
    ]);
  });
});

describe("endpointRulesFor", () => {
  const config = parseConfig(
    `pbx:
  - { id: ast, driver: ami, host: a, username: u, secret: s, trunks: [carrier, PJSIP/itsp] }
  - { id: fs, driver: esl, host: b, secret: s, extensionPattern: "^[1-9]\\\\d{3}$" }
departments:
  - { id: sales, name: Sales }
users:
  - { id: a, name: A, extension: "10", pbx: ast, departments: [sales], devices: [PJSIP/a-mobile] }
  - { id: b, name: B, extension: "2000", pbx: fs, departments: [sales], devices: [user/b-laptop] }
`,
    "t.yaml",
    {},
  );

  it("takes trunks from the pbx and devices from the users on it", () => {
    expect(endpointRulesFor(config, "ast")).toEqual({
      trunks: ["carrier", "PJSIP/itsp"],
      devices: ["PJSIP/a-mobile"],
      extensionPattern: DEFAULT_EXTENSION_PATTERN,
    });
    const fs = endpointRulesFor(config, "fs");
    expect(fs.devices).toEqual(["user/b-laptop"]);
    expect(fs.extensionPattern.test("2000")).toBe(true);
    expect(fs.extensionPattern.test("0200")).toBe(false);
  });

  it("refuses an unknown pbx", () => {
    expect(() => endpointRulesFor(config, "nope")).toThrow('t.yaml: no pbx "nope" (pbx ids: ast, fs)');
  });
});
