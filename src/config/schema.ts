// The shape of `callsight.yaml`, as zod schemas. Every object is strict so that a typo in a key
// is an error instead of a silently ignored setting. Cross-references (departments, pbx ids,
// pickup delegates, duplicate extensions, ...) are checked in `validate.ts`, not here.

import { z } from "zod";
import { OPERATIONS, RECORDING_POLICIES, ROLES } from "../domain/directory.js";
import { DIALPLAN_CONTEXT } from "../pbx/dial-request.js";
import { DRIVER_IDS, type DriverConfigShape, type Driver as DriverId, PBX_DRIVERS } from "../pbx/drivers.js";

/** The valid `driver:` values: the ids of the drivers in `src/pbx/drivers.ts`. */
export const DRIVERS = DRIVER_IDS;
export type Driver = DriverId;

export const DEFAULT_MONITORING_ROLES = ["supervisor", "admin"] as const;

// Patterns double as the "expected ..." text of the error message.
export const PBX_ID = /^[a-z0-9-]+$/;
export const PBX_ID_TEXT = 'an id of lowercase letters, digits and "-"';
export const DEPARTMENT_ID = /^[A-Za-z0-9._-]+$/;
export const DEPARTMENT_ID_TEXT = 'an id of letters, digits, ".", "_" and "-"';
export const USER_ID = /^[A-Za-z0-9._@-]+$/;
export const USER_ID_TEXT = 'an id of letters, digits, ".", "_", "@" and "-"';
export const EXTENSION = /^\d+$/;
export const EXTENSION_TEXT = "a string of digits";

const nonEmpty = z.string().min(1);

export const DIAL_CONTEXT_TEXT = 'a dialplan context of letters, digits, "_", "." and "-"';

export const ivrShape = { context: nonEmpty, exten: nonEmpty };

/** An Asterisk interface with `{extension}` in it, no spaces or separators a manager action would split on. */
const queueMemberTemplate = z
  .string()
  .regex(
    /^[^\s,|&]*\{extension\}[^\s,|&]*$/,
    "an interface with {extension} in it, e.g. Local/{extension}@from-queue/n",
  );

/** The keys of a `pbx` entry whatever its driver. */
const commonPbxShape = {
  id: z.string().regex(PBX_ID, PBX_ID_TEXT),
  driver: z.enum(DRIVERS),
  host: nonEmpty,
  port: z.number().int().min(1).max(65535).optional(),
  username: nonEmpty.optional(),
  secret: nonEmpty.optional(),
  trunks: z.array(nonEmpty).default([]),
  extensionPattern: z.string().optional(),
  ivr: z.strictObject(ivrShape).optional(),
  /** Click-to-call dials in this dialplan context (default: Asterisk `from-internal`, FreeSWITCH `default`). */
  dialContext: z.string().regex(DIALPLAN_CONTEXT, DIAL_CONTEXT_TEXT).optional(),
  /** Asterisk: the member a queue login adds (default FreePBX's `Local/{extension}@from-queue/n`, `hint:{extension}@ext-local`). */
  queueMember: z
    .strictObject({ interface: queueMemberTemplate, stateInterface: queueMemberTemplate })
    .optional(),
};

/**
 * Each driver's own keys (its descriptor's `config.shape`, e.g. ARI's `app` and `companion`), in the
 * order of the registry. Which driver may use them is checked in `validate.ts`.
 */
function driverPbxShape(): DriverConfigShape {
  const shape: Record<string, z.core.SomeType> = {};
  for (const driver of PBX_DRIVERS) {
    const own: z.ZodRawShape = driver.config?.shape ?? {};
    for (const [key, schema] of Object.entries(own)) {
      if (Object.hasOwn(commonPbxShape, key) || Object.hasOwn(shape, key)) {
        throw new Error(`PBX driver ${driver.id}: the pbx key "${key}" is already taken`);
      }
      shape[key] = schema;
    }
  }
  return shape as DriverConfigShape;
}

const driverShape = driverPbxShape();

export const pbxShape = { ...commonPbxShape, ...driverShape };

/** A queue or ring group of the PBX, by the PBX's own name (`400`, `sales@default`). */
export const departmentQueueShape = {
  name: nonEmpty,
  /** Needed when there is more than one PBX. */
  pbx: z.string().optional(),
};

export const departmentShape = {
  id: z.string().regex(DEPARTMENT_ID, DEPARTMENT_ID_TEXT),
  name: nonEmpty,
  /** The PBX queues this department owns: their panel is on its people's boards. */
  queues: z.array(z.strictObject(departmentQueueShape)).optional(),
  /** Do not disturb pauses its people in the queues it owns; leaving it unpauses them (queue-presence-link.ts). */
  pauseQueuesOnDnd: z.boolean().optional(),
};

export const operationsShape = Object.fromEntries(OPERATIONS.map((op) => [op, z.boolean().optional()])) as {
  [K in (typeof OPERATIONS)[number]]: z.ZodOptional<z.ZodBoolean>;
};

export const userShape = {
  id: z.string().regex(USER_ID, USER_ID_TEXT),
  name: nonEmpty,
  extension: z.string().regex(EXTENSION, EXTENSION_TEXT),
  pbx: z.string().optional(),
  devices: z.array(nonEmpty).default([]),
  departments: z.array(z.string()).min(1),
  role: z.enum(ROLES).default("agent"),
  showMyCalls: z.boolean().optional(),
  presence: z.boolean().optional(),
  calls: z.boolean().optional(),
  sharePresence: z.boolean().optional(),
  pickupDelegates: z.array(z.string()).optional(),
  operations: z.strictObject(operationsShape).optional(),
  recording: z.enum(RECORDING_POLICIES).optional(),
};

/** Where finalized recordings are stored and how long they are kept, unless the file says otherwise. */
export const DEFAULT_RECORDING_STORE = "/var/lib/callsight/recordings";
export const DEFAULT_RETENTION_DAYS = 365;

const retentionDays = z.number().int().min(1);

export const recordingShape = {
  directory: nonEmpty.optional(),
  store: nonEmpty.optional(),
  retentionDays: retentionDays.optional(),
  /** Consent: seconds between beeps both parties hear while a call is recorded (0 = none). */
  beepSeconds: z.number().int().min(0).max(3600).optional(),
  departments: z
    .record(
      z.string(),
      z.strictObject({
        retentionDays: retentionDays.optional(),
        beepSeconds: z.number().int().min(0).max(3600).optional(),
      }),
    )
    .optional(),
};

/** How long the call history keeps a call, unless the file says otherwise. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;

/** The call history (GET /v1/history, the board's Recent panel): how many days of calls it keeps. */
export const historyShape = {
  retentionDays: z.number().int().min(1).max(3650).optional(),
};

export const DEFAULT_AUTH = { failureLimit: 20, failureWindowSeconds: 60 } as const;

/** Failed-authentication limits per client address; the reverse proxies whose X-Forwarded-For is believed. */
export const authShape = {
  failureLimit: z.number().int().min(1).max(1_000_000).optional(),
  failureWindowSeconds: z.number().int().min(1).max(86_400).optional(),
  trustedProxies: z.array(nonEmpty).optional(),
};

/** A browser origin: a scheme (http or https), a host and an optional port — no path, no trailing "/". */
export const ORIGIN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
export const ORIGIN_TEXT =
  'an origin such as "https://callsight.example.com" or "http://10.0.0.5:8080" (no path)';

/** The HTTP server: the browser origins allowed to open the board's WebSocket (default: the server's own). */
export const httpShape = {
  allowedOrigins: z
    .array(
      z
        .string()
        .regex(ORIGIN, ORIGIN_TEXT)
        .refine((o) => URL.canParse(o), `expected ${ORIGIN_TEXT} (a valid host and port)`),
    )
    .min(1)
    .optional(),
};

/** Whether Intl knows an IANA time zone name. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const rootShape = {
  /** The site's time zone (IANA name): where a day starts for the queues' day counters. Default UTC. */
  timeZone: z
    .string()
    .refine(isTimeZone, "unknown time zone (an IANA name such as Europe/Berlin)")
    .optional(),
  monitoringRoles: z.array(z.enum(ROLES)).default([...DEFAULT_MONITORING_ROLES]),
  pbx: z.array(z.strictObject(pbxShape)).min(1),
  recording: z.strictObject(recordingShape).optional(),
  history: z.strictObject(historyShape).optional(),
  auth: z.strictObject(authShape).optional(),
  http: z.strictObject(httpShape).optional(),
  departments: z.array(z.strictObject(departmentShape)).min(1),
  users: z.array(z.strictObject(userShape)).min(1),
};

export const fileSchema = z.strictObject(rootShape);
export type ConfigFile = z.output<typeof fileSchema>;

/**
 * The keys each kind of object accepts, by its path with list indexes removed
 * (`users[3].operations` -> `users.operations`). Used to suggest a fix for an unknown key.
 */
export const KNOWN_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ["", Object.keys(rootShape)],
  ["pbx", Object.keys(pbxShape)],
  ["pbx.ivr", Object.keys(ivrShape)],
  ...objectKeys("pbx", driverShape),
  ["recording", Object.keys(recordingShape)],
  ["history", Object.keys(historyShape)],
  ["auth", Object.keys(authShape)],
  ["http", Object.keys(httpShape)],
  ["departments", Object.keys(departmentShape)],
  ["departments.queues", Object.keys(departmentQueueShape)],
  ["users", Object.keys(userShape)],
  ["users.operations", Object.keys(operationsShape)],
]);

/** The schema inside `.optional()` / `.default()`. */
function unwrap(schema: z.core.SomeType): z.core.SomeType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap();
  return inner;
}

/** `[path.key, its keys]` for each key of `shape` that holds a mapping (ARI's `companion`). */
function objectKeys(path: string, shape: z.ZodRawShape): [string, string[]][] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const inner = unwrap(schema);
    return inner instanceof z.ZodObject
      ? [[`${path}.${key}`, Object.keys(inner.shape)] as [string, string[]]]
      : [];
  });
}

/** The keys of `shape` (and of mappings inside it) that hold strings or lists of strings. */
function stringKeys(shape: z.ZodRawShape): string[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) return stringKeys(inner.shape);
    const item = inner instanceof z.ZodArray ? unwrap(inner.element) : inner;
    return item instanceof z.ZodString ? [key] : [];
  });
}

/**
 * Keys whose values are strings even when they look like numbers (`extension: 1001`, `id: 1001`,
 * `pickupDelegates: [1002]`, `secret: 1234`). The loader keeps the digits exactly as written,
 * so `extension: 0123` stays "0123". The drivers' string keys (`app`, `domain`) come from their shapes.
 */
export const STRING_KEYS: ReadonlySet<string> = new Set([
  "id",
  "name",
  "extension",
  "pbx",
  "host",
  "username",
  "secret",
  "context",
  "exten",
  "directory",
  "store",
  "extensionPattern",
  "dialContext",
  "trunks",
  "devices",
  "departments",
  "pickupDelegates",
  "trustedProxies",
  "allowedOrigins",
  ...stringKeys(driverShape),
]);
