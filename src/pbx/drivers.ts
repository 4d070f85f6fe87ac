// The PBX drivers of this version of Callsight. Adding one is adding its descriptor here (see
// docs/adding-a-pbx-driver.md): the configuration, the runtime and the replay read this list.

import type { z } from "zod";
import { amiDriver } from "./asterisk-ami/descriptor.js";
import { ariDriver } from "./asterisk-ari/descriptor.js";
import type { PbxDriverDescriptor } from "./driver-descriptor.js";
import { eslDriver } from "./freeswitch-esl/descriptor.js";

export const PBX_DRIVERS = [
  amiDriver,
  ariDriver,
  eslDriver,
] as const satisfies readonly PbxDriverDescriptor[];

/** A valid `driver:` of a `pbx` entry. */
export type Driver = (typeof PBX_DRIVERS)[number]["id"];

/** The valid `driver:` values, in the order error messages list them. */
export const DRIVER_IDS = PBX_DRIVERS.map((d) => d.id) as [Driver, ...Driver[]];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
type ShapeOf<D> = D extends PbxDriverDescriptor<string, infer Shape, object> ? Shape : never;
type SettingsOf<D> = D extends PbxDriverDescriptor<string, z.ZodRawShape, infer Settings> ? Settings : never;

/** Every driver's own keys of a `pbx` entry together, as zod schemas. */
export type DriverConfigShape = UnionToIntersection<ShapeOf<(typeof PBX_DRIVERS)[number]>>;

/** Every driver's own settings together (each present only on its driver's entries). */
export type DriverSettings = UnionToIntersection<SettingsOf<(typeof PBX_DRIVERS)[number]>>;

const byId: ReadonlyMap<string, PbxDriverDescriptor> = new Map(PBX_DRIVERS.map((d) => [d.id, d]));
if (byId.size !== PBX_DRIVERS.length) throw new Error("two PBX drivers share an id");

/** The descriptor of `driver: <id>`, if this version has that driver. */
export function driverDescriptor(id: string): PbxDriverDescriptor | undefined {
  return byId.get(id);
}
