// The shape of `callsight.yaml`, as zod schemas. Every object is strict so that a typo in a key
// is an error instead of a silently ignored setting. Cross-references (departments, pbx ids,
// pickup delegates, duplicate extensions, ...) are checked in `validate.ts`, not here.

import { z } from "zod";
import { OPERATIONS, RECORDING_POLICIES, ROLES } from "../domain/directory.js";

export const DRIVERS = ["ami", "ari", "esl"] as const;
export type Driver = (typeof DRIVERS)[number];

/** The port each driver's control interface listens on by default. */
export const DEFAULT_PORTS: Record<Driver, number> = { ami: 5038, ari: 8088, esl: 8021 };

/** Where the PBX writes recordings when the file does not say. */
export const DEFAULT_RECORDING_DIRECTORIES: Record<Driver, string> = {
  ami: "/var/spool/asterisk/monitor",
  // ARI's recordings resource writes into Asterisk's recording directory, not MixMonitor's.
  ari: "/var/spool/asterisk/recording",
  esl: "/var/lib/freeswitch/recordings",
};

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

export const ivrShape = { context: nonEmpty, exten: nonEmpty };

/** driver esl: the FreeSWITCH directory domain for `user/<ext>@<domain>` dial strings (a host name or an address). */
export const ESL_DOMAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ESL_DOMAIN_TEXT = 'a directory domain of letters, digits, ".", "_" and "-"';

export const ARI_APP = /^[A-Za-z0-9._-]+$/;
export const ARI_APP_TEXT = 'a Stasis application name of letters, digits, ".", "_" and "-"';

/** The optional AMI link of an ARI pbx (same host); username and secret may come from the environment. */
export const companionShape = {
  port: z.number().int().min(1).max(65535).optional(),
  username: nonEmpty.optional(),
  secret: nonEmpty.optional(),
};

export const pbxShape = {
  id: z.string().regex(PBX_ID, PBX_ID_TEXT),
  driver: z.enum(DRIVERS),
  host: nonEmpty,
  port: z.number().int().min(1).max(65535).optional(),
  username: nonEmpty.optional(),
  secret: nonEmpty.optional(),
  trunks: z.array(nonEmpty).default([]),
  extensionPattern: z.string().optional(),
  ivr: z.strictObject(ivrShape).optional(),
  /** driver ari: the Stasis application Callsight registers (default `callsight`). */
  app: z.string().regex(ARI_APP, ARI_APP_TEXT).optional(),
  /** driver ari: an AMI link for what ARI lacks (parking, presence, MixMonitor, ChanSpy, Redirect, DBPut). */
  companion: z.strictObject(companionShape).optional(),
  /**
   * driver esl: the FreeSWITCH directory domain of the users Callsight dials (`user/<ext>@<domain>` for
   * listen / whisper / barge, pickup and parked pickup). Default: none, i.e. FreeSWITCH's default domain.
   */
  domain: z.string().regex(ESL_DOMAIN, ESL_DOMAIN_TEXT).optional(),
};

export const departmentShape = {
  id: z.string().regex(DEPARTMENT_ID, DEPARTMENT_ID_TEXT),
  name: nonEmpty,
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

export const rootShape = {
  monitoringRoles: z.array(z.enum(ROLES)).default([...DEFAULT_MONITORING_ROLES]),
  pbx: z.array(z.strictObject(pbxShape)).min(1),
  recording: z.strictObject(recordingShape).optional(),
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
  ["pbx.companion", Object.keys(companionShape)],
  ["recording", Object.keys(recordingShape)],
  ["auth", Object.keys(authShape)],
  ["http", Object.keys(httpShape)],
  ["departments", Object.keys(departmentShape)],
  ["users", Object.keys(userShape)],
  ["users.operations", Object.keys(operationsShape)],
]);

/**
 * Keys whose values are strings even when they look like numbers (`extension: 1001`, `id: 1001`,
 * `pickupDelegates: [1002]`, `secret: 1234`). The loader keeps the digits exactly as written,
 * so `extension: 0123` stays "0123".
 */
export const STRING_KEYS: ReadonlySet<string> = new Set([
  "id",
  "name",
  "extension",
  "pbx",
  "host",
  "app",
  "domain",
  "username",
  "secret",
  "context",
  "exten",
  "directory",
  "store",
  "extensionPattern",
  "trunks",
  "devices",
  "departments",
  "pickupDelegates",
  "trustedProxies",
  "allowedOrigins",
]);
