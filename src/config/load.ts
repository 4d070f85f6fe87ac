// Loading `callsight.yaml`: the PBX connections, the directory (departments, users and every
// per-user switch) and the recording settings. See `callsight.example.yaml` for a commented file.
//
// Order: parse YAML -> apply environment overrides -> validate (schema and cross-references,
// collecting every problem) -> build the Directory. Any problem throws one ConfigError.

import { readFileSync } from "node:fs";
import { isScalar, isSeq, parseDocument, type Scalar, visit, type YAMLError } from "yaml";
import {
  type Department,
  type Directory,
  defaultSettings,
  makeDirectory,
  OPERATIONS,
  type Operation,
  type User,
  type UserSettings,
} from "../domain/directory.js";
import type { PbxEntry } from "../pbx/driver-descriptor.js";
import { type DriverSettings, driverDescriptor } from "../pbx/drivers.js";
import { DEFAULT_EXTENSION_PATTERN, type EndpointRules } from "../pbx/endpoints.js";
import { applyEnvOverrides } from "./env.js";
import { at, formatIssue } from "./problems.js";
import {
  type ConfigFile,
  DEFAULT_AUTH,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_RECORDING_STORE,
  DEFAULT_RETENTION_DAYS,
  type Driver,
  fileSchema,
  STRING_KEYS,
} from "./schema.js";
import { crossCheck } from "./validate.js";

/**
 * A `pbx` entry with its defaults: the keys every entry has, and its driver's own settings (ARI's `app` and
 * `companion`, ESL's `domain`: see each driver's `descriptor.ts`), present only on that driver's entries.
 */
export type PbxConnectionConfig = PbxEntry<Driver> & Partial<DriverSettings>;

/**
 * The directory part of the file (departments, users and their switches) in the file's own form.
 * This is what the admin API edits and what is stored in Redis once Callsight runs.
 */
export interface DirectoryDocument {
  monitoringRoles: ConfigFile["monitoringRoles"];
  departments: ConfigFile["departments"];
  users: ConfigFile["users"];
}

export interface CallsightConfig {
  /** The file the configuration came from, as given to the loader. */
  file: string;
  pbx: PbxConnectionConfig[];
  directory: Directory;
  document: DirectoryDocument;
  recording: {
    directory: string;
    /** Where finalized recordings are stored (`<store>/YYYY/MM/DD/<callId>-<ext>.wav`). */
    store: string;
    retentionDays: number;
    /** Consent beep every n seconds on recorded calls (0 = none; the default). */
    beepSeconds: number;
    /** Per-department retention and beep, overriding the global values for that department's users. */
    departments: Record<string, { retentionDays?: number; beepSeconds?: number }>;
  };
  history: {
    /** Ended calls are kept this many days (default 90). */
    retentionDays: number;
  };
  /** The site's IANA time zone (default UTC): where the queues' days start. */
  timeZone: string;
  auth: {
    /** Failed authentications an address may make per window before it gets 429 (default 20). */
    failureLimit: number;
    /** The window, in seconds (default 60). */
    failureWindowSeconds: number;
    /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client (default none). */
    trustedProxies: string[];
  };
  http: {
    /**
     * Browser origins allowed to open the board's WebSocket (normalized: lower case, no default port).
     * Undefined: only the request's own origin (its Host).
     */
    allowedOrigins?: string[];
  };
}

/** Everything wrong with a configuration file; the message has one `file: problem` line per problem. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** `Map keys must be unique at line 2, column 1:\n\n...` -> `invalid YAML at line 2, column 1: Map keys must be unique`. */
function yamlProblem(error: YAMLError): string {
  const firstLine = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  const where = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "";
  return `invalid YAML${where}: ${firstLine}`;
}

/** For keys that hold strings, a plain number keeps the digits as written: `extension: 0123` -> "0123". */
function keepNumbersAsWritten(doc: ReturnType<typeof parseDocument>, text: string): void {
  const fix = (node: unknown): void => {
    if (!isScalar(node)) return;
    const scalar = node as Scalar;
    if (typeof scalar.value === "number" && scalar.type === "PLAIN" && scalar.range) {
      scalar.value = text.slice(scalar.range[0], scalar.range[1]);
    }
  };
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !STRING_KEYS.has(String(pair.key.value))) return;
      if (isSeq(pair.value)) for (const item of pair.value.items) fix(item);
      else fix(pair.value);
    },
  });
}

export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): CallsightConfig {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map(yamlProblem));
  keepNumbersAsWritten(doc, text);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    throw new ConfigError(file, [`invalid YAML: ${e instanceof Error ? e.message : String(e)}`]);
  }
  if (raw === null || raw === undefined) throw new ConfigError(file, ["the file is empty"]);

  const problems = applyEnvOverrides(raw, env);
  const result = fileSchema.safeParse(raw);
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => formatIssue(issue, raw)));
  problems.push(...crossCheck(raw));
  if (result.success) problems.push(...unknownRetentionDepartments(result.data));
  if (!result.success || problems.length > 0) throw new ConfigError(file, problems);
  return build(file, result.data);
}

/** `recording.departments` may only name departments of the file. */
function unknownRetentionDepartments(data: ConfigFile): string[] {
  const known = new Set(data.departments.map((d) => d.id));
  return Object.keys(data.recording?.departments ?? {})
    .filter((id) => !known.has(id))
    .map((id) => at(["recording", "departments", id], `unknown department "${id}"`));
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): CallsightConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "file not found"
        : `cannot read the file (${e instanceof Error ? e.message : String(e)})`;
    throw new ConfigError(path, [reason]);
  }
  return parseConfig(text, path, env);
}

function settingsOf(user: ConfigFile["users"][number]): UserSettings {
  const defaults = defaultSettings();
  const operations = { ...defaults.operations };
  for (const op of OPERATIONS as readonly Operation[]) {
    const value = user.operations?.[op];
    if (value !== undefined) operations[op] = value;
  }
  return {
    showMyCalls: user.showMyCalls ?? defaults.showMyCalls,
    presence: user.presence ?? defaults.presence,
    calls: user.calls ?? defaults.calls,
    sharePresence: user.sharePresence ?? defaults.sharePresence,
    pickupDelegates: user.pickupDelegates ?? defaults.pickupDelegates,
    operations,
    recording: user.recording ?? defaults.recording,
  };
}

function build(file: string, data: ConfigFile): CallsightConfig {
  const pbx: PbxConnectionConfig[] = data.pbx.map((p) => {
    const driver = descriptorOf(p.driver);
    return {
      id: p.id,
      driver: p.driver,
      host: p.host,
      port: p.port ?? driver.defaultPort,
      ...(p.username !== undefined && { username: p.username }),
      ...(p.secret !== undefined && { secret: p.secret }),
      trunks: p.trunks,
      ...(p.extensionPattern !== undefined && { extensionPattern: p.extensionPattern }),
      ...(p.ivr !== undefined && { ivr: { context: p.ivr.context, exten: p.ivr.exten } }),
      ...(p.dialContext !== undefined && { dialContext: p.dialContext }),
      ...(p.queueMember !== undefined && { queueMember: p.queueMember }),
      ...driver.config?.settings(p),
    };
  });
  const document: DirectoryDocument = {
    monitoringRoles: data.monitoringRoles,
    departments: data.departments,
    users: data.users,
  };
  return {
    file,
    pbx,
    directory: buildDirectory(document, pbx[0]!.id),
    document,
    recording: {
      directory: data.recording?.directory ?? descriptorOf(pbx[0]!.driver).defaultRecordingDirectory,
      store: data.recording?.store ?? DEFAULT_RECORDING_STORE,
      retentionDays: data.recording?.retentionDays ?? DEFAULT_RETENTION_DAYS,
      beepSeconds: data.recording?.beepSeconds ?? 0,
      departments: data.recording?.departments ?? {},
    },
    history: { retentionDays: data.history?.retentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS },
    timeZone: data.timeZone ?? "UTC",
    auth: {
      failureLimit: data.auth?.failureLimit ?? DEFAULT_AUTH.failureLimit,
      failureWindowSeconds: data.auth?.failureWindowSeconds ?? DEFAULT_AUTH.failureWindowSeconds,
      trustedProxies: data.auth?.trustedProxies ?? [],
    },
    http: data.http?.allowedOrigins
      ? { allowedOrigins: data.http.allowedOrigins.map((o) => new URL(o).origin) }
      : {},
  };
}

/** The schema only lets the registry's ids through. */
function descriptorOf(id: Driver) {
  const driver = driverDescriptor(id);
  if (!driver) throw new Error(`no descriptor for PBX driver "${id}"`);
  return driver;
}

function buildDirectory(doc: DirectoryDocument, onlyPbx: string): Directory {
  // Validation guarantees a pbx on every user when there is more than one.
  const departments: Department[] = doc.departments.map((d) => ({
    id: d.id,
    name: d.name,
    ...(d.queues?.length ? { queues: d.queues.map((q) => ({ pbx: q.pbx ?? onlyPbx, name: q.name })) } : {}),
    ...(d.pauseQueuesOnDnd ? { pauseQueuesOnDnd: true } : {}),
  }));
  const users: User[] = doc.users.map((u) => {
    const userPbx = u.pbx ?? onlyPbx;
    return {
      id: u.id,
      name: u.name,
      extension: u.extension,
      pbx: userPbx,
      devices: u.devices.map((endpoint) => ({ pbx: userPbx, endpoint })),
      departments: u.departments,
      role: u.role,
      settings: settingsOf(u),
    };
  });
  return makeDirectory(departments, users, doc.monitoringRoles);
}

/**
 * Validates a directory document (from the admin API or the store) against the configured PBXes with the
 * same rules as the file, and builds the Directory. Problems name the path inside the document.
 */
export function directoryFromDocument(
  config: Pick<CallsightConfig, "pbx">,
  doc: unknown,
  source = "directory",
): { directory: Directory; document: DirectoryDocument } {
  // The PBX list always comes from the configuration: a document cannot add or change connections.
  const raw = {
    ...(typeof doc === "object" && doc !== null ? doc : {}),
    pbx: config.pbx.map((p) => ({ ...p, username: p.username ?? "-", secret: p.secret ?? "-" })),
  };
  const result = fileSchema.safeParse(raw);
  const problems: string[] = [];
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => formatIssue(issue, raw)));
  problems.push(...crossCheck(raw));
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);
  const document: DirectoryDocument = {
    monitoringRoles: result.data.monitoringRoles,
    departments: result.data.departments,
    users: result.data.users,
  };
  return { directory: buildDirectory(document, config.pbx[0]!.id), document };
}

/** How the drivers of PBX `pbxId` tell users' phones from trunks. */
export function endpointRulesFor(config: CallsightConfig, pbxId: string): EndpointRules {
  const pbx = config.pbx.find((p) => p.id === pbxId);
  if (!pbx) {
    throw new ConfigError(config.file, [
      `no pbx "${pbxId}" (pbx ids: ${config.pbx.map((p) => p.id).join(", ")})`,
    ]);
  }
  const devices: string[] = [];
  for (const user of config.directory.users.values()) {
    for (const device of user.devices) if (device.pbx === pbxId) devices.push(device.endpoint);
  }
  return {
    trunks: [...pbx.trunks],
    devices,
    extensionPattern:
      pbx.extensionPattern !== undefined ? new RegExp(pbx.extensionPattern) : DEFAULT_EXTENSION_PATTERN,
  };
}
