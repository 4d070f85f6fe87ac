// What a PBX driver tells the rest of Callsight about itself. Each `src/pbx/<driver>/descriptor.ts`
// exports one descriptor and `src/pbx/drivers.ts` lists them: the configuration (schema, checks,
// environment, defaults), the runtime (which driver a pbx entry gets) and the replay (which trace
// formats it reads) go through that list and never name a driver.

import type { Logger } from "pino";
import type { z } from "zod";
import type { PbxEvent } from "../domain/events.js";
import type { QueueMemberTemplate } from "./asterisk/queues.js";
import type { PbxDriver } from "./driver.js";
import type { EndpointClassifier } from "./endpoints.js";

/** The PBX product a driver speaks to (its captures live in `test/fixtures/<kind>/`). */
export type PbxKind = "asterisk" | "freeswitch";

/** The connection settings every `pbx` entry has, whatever its driver, with the defaults applied. */
export interface PbxEntry<Id extends string = string> {
  id: string;
  driver: Id;
  host: string;
  port: number;
  username?: string;
  secret?: string;
  trunks: string[];
  extensionPattern?: string;
  ivr?: { context: string; exten: string };
  /** Where click-to-call dials (the PBX's internal dialplan context); default by PBX kind (dial-request.ts). */
  dialContext?: string;
  /** Asterisk: the member a queue login adds (default FreePBX's, asterisk/queues.ts). */
  queueMember?: QueueMemberTemplate;
}

export type Credential = "username" | "secret";

/** What a driver's own configuration check may use to word its problems like the others. */
export interface ConfigCheckContext {
  /** A problem at a path inside the entry: `(["companion", "secret"], "missing")` -> `pbx[0].companion.secret: missing`. */
  problem(path: readonly (string | number)[], message: string): string;
  /** ` (or set CALLSIGHT_PBX_AST_COMPANION_SECRET)` for `("secret", "companion")`; "" when the entry has no id. */
  orSet(field: string, group?: string): string;
}

/** The keys of a `pbx` entry that only this driver accepts, and how they become its settings. */
export interface DriverConfig<Shape extends z.ZodRawShape, Settings extends object> {
  /**
   * The driver's own keys as zod schemas (each optional). They join the common keys of a `pbx` entry;
   * another driver's entry that sets one is refused with `only for driver <id>`. String-valued keys keep
   * numbers as written (`app: 0123`), and nested objects get "did you mean" hints, from this shape.
   */
  shape: Shape;
  /**
   * Keys the environment may set too: `fields` as `CALLSIGHT_PBX_<ID>_<FIELD>`, each group's fields as
   * `CALLSIGHT_PBX_<ID>_<GROUP>_<FIELD>` (a `port` must be a port number). Read for every pbx, like the
   * file's keys: an entry of another driver is then refused by the check above.
   */
  env?: { fields?: readonly string[]; groups?: Readonly<Record<string, readonly string[]>> };
  /** More problems with an entry of this driver: the raw file, read defensively (values may have any type). */
  check?(entry: Readonly<Record<string, unknown>>, ctx: ConfigCheckContext): string[];
  /** The validated keys, defaults applied, as the factory reads them from its `pbx` entry. */
  settings(fields: z.output<z.ZodObject<Shape>>): Settings;
}

/** What the runtime hands every driver's factory besides its `pbx` entry. */
export interface DriverDeps {
  /** Tells users' phones from trunks on this pbx (from its trunks, devices and extensionPattern). */
  classifier: EndpointClassifier;
  logger: Logger;
  /** `recording.directory` of the configuration: where the PBX writes recordings. */
  recordingDirectory: string;
}

export interface TraceReadOptions {
  pbx: string;
  classifier?: EndpointClassifier;
}

export interface TraceRead {
  events: PbxEvent[];
  /** Lines or frames that could not be read, with why. */
  problems: string[];
  /** Source events that carry nothing Callsight uses, by name, when the format reports it. */
  unknown?: Record<string, number>;
}

export interface PbxDriverDescriptor<
  Id extends string = string,
  Shape extends z.ZodRawShape = z.ZodRawShape,
  Settings extends object = object,
> {
  /** `driver: <id>` in `callsight.yaml`, and the `--format` of its captures for `callsight replay`. */
  readonly id: Id;
  readonly pbxKind: PbxKind;
  /** The port of the PBX's control interface when the entry gives none. */
  readonly defaultPort: number;
  /** Where this PBX writes recordings when `recording.directory` is not set (the first pbx's driver decides). */
  readonly defaultRecordingDirectory: string;
  /** Credentials an entry must have (from the file or the environment). */
  readonly credentials: readonly Credential[];
  /** The driver's own keys, when it has any. */
  readonly config?: DriverConfig<Shape, Settings>;
  /** Builds the driver of a validated `pbx` entry (connecting is `start()`'s business, not this). */
  create(pbx: PbxEntry<Id> & Settings, deps: DriverDeps): PbxDriver;
  /** Reads a capture of this driver's protocol (`callsight replay --format <id>`, the golden tests). */
  readTrace(bytes: Buffer, options: TraceReadOptions): TraceRead;
}
