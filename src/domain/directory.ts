// The directory: who is who, which departments exist, and every per-user switch.

export const ROLES = ["agent", "supervisor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const RECORDING_POLICIES = ["off", "external", "all"] as const;
export type RecordingPolicy = (typeof RECORDING_POLICIES)[number];

export const OPERATIONS = [
  "pickup",
  "parkedPickup",
  "sendToIvr",
  "listen",
  "whisper",
  "barge",
  "takeOver",
  "dial",
  "dialExternal",
] as const;
export type Operation = (typeof OPERATIONS)[number];
/**
 * The switches of click-to-call: `dial` allows it, `dialExternal` also allows outside numbers
 * (dial-right.ts). They decide on a call that is not there yet, so `authorize` (permissions.ts) takes the
 * other switches only: the call operations.
 */
export const DIAL_SWITCHES = ["dial", "dialExternal"] as const;
export type CallOperation = Exclude<Operation, (typeof DIAL_SWITCHES)[number]>;
export const CALL_OPERATIONS: readonly CallOperation[] = OPERATIONS.filter(
  (op): op is CallOperation => !(DIAL_SWITCHES as readonly string[]).includes(op),
);
export type MonitoringMode = "listen" | "whisper" | "barge";
export const MONITORING_MODES: readonly MonitoringMode[] = ["listen", "whisper", "barge"];

export interface UserSettings {
  showMyCalls: boolean;
  presence: boolean;
  calls: boolean;
  sharePresence: boolean;
  pickupDelegates: string[];
  operations: Record<Operation, boolean>;
  recording: RecordingPolicy;
}

/** A phone, softphone or mobile client of a user, as the PBX names its endpoint (e.g. `PJSIP/1001`). */
export interface Device {
  pbx: string;
  endpoint: string;
}

export interface User {
  id: string;
  name: string;
  extension: string;
  /** The PBX the user's extension lives on. */
  pbx: string;
  devices: Device[];
  departments: string[];
  role: Role;
  settings: UserSettings;
}

/** A PBX queue (app_queue, mod_callcenter) a department owns, by the PBX's own name. */
export interface QueueRef {
  pbx: string;
  name: string;
}

export interface Department {
  id: string;
  name: string;
  /** The queues whose panel its people see. */
  queues?: readonly QueueRef[];
  /** Do not disturb pauses its people in those queues; leaving it unpauses them. */
  pauseQueuesOnDnd?: boolean;
}

export interface Directory {
  departments: ReadonlyMap<string, Department>;
  users: ReadonlyMap<string, User>;
  /** Roles allowed to listen, whisper, barge or take over. */
  monitoringRoles: readonly Role[];
}

export function defaultSettings(): UserSettings {
  return {
    showMyCalls: true,
    presence: true,
    calls: true,
    sharePresence: true,
    pickupDelegates: [],
    operations: {
      pickup: true,
      parkedPickup: true,
      sendToIvr: true,
      listen: false,
      whisper: false,
      barge: false,
      takeOver: false,
      dial: true,
      dialExternal: false,
    },
    recording: "off",
  };
}

export function makeDirectory(
  departments: Department[],
  users: User[],
  monitoringRoles: readonly Role[] = ["supervisor", "admin"],
): Directory {
  return {
    departments: new Map(departments.map((d) => [d.id, d])),
    users: new Map(users.map((u) => [u.id, u])),
    monitoringRoles,
  };
}

export function shareDepartment(a: User, b: User): boolean {
  return a.departments.some((d) => b.departments.includes(d));
}

/**
 * Resolves which user a device belongs to. Explicit devices win; a user who lists no device
 * owns the endpoint whose resource part equals their extension on their PBX.
 */
export class DeviceIndex {
  private readonly byDevice = new Map<string, string>();
  private readonly byExtension = new Map<string, string>();

  constructor(directory: Directory) {
    for (const user of directory.users.values()) {
      for (const d of user.devices) this.byDevice.set(`${d.pbx}\u0000${d.endpoint}`, user.id);
      this.byExtension.set(`${user.pbx}\u0000${user.extension}`, user.id);
    }
  }

  userForDevice(pbx: string, endpoint: string, extension: string | undefined): string | undefined {
    const explicit = this.byDevice.get(`${pbx}\u0000${endpoint}`);
    if (explicit) return explicit;
    return extension === undefined ? undefined : this.byExtension.get(`${pbx}\u0000${extension}`);
  }

  /**
   * The user with this extension on another PBX, when exactly one has it: a trunk leg dialled to (or
   * arriving from) that number reaches a colleague, not the outside world.
   */
  userOnAnotherPbx(pbx: string, number: string): string | undefined {
    let found: string | undefined;
    for (const [k, user] of this.byExtension) {
      const sep = k.indexOf("\u0000");
      if (k.slice(sep + 1) !== number || k.slice(0, sep) === pbx) continue;
      if (found !== undefined) return undefined;
      found = user;
    }
    return found;
  }

  userForExtension(pbx: string, extension: string): string | undefined {
    return this.byExtension.get(`${pbx}\u0000${extension}`);
  }
}

/** Queues owned by departments: which departments own `pbx`/`name` (a queue may be shared). */
export function queueOwners(directory: Directory, pbx: string, name: string): string[] {
  const out: string[] = [];
  for (const d of directory.departments.values())
    if (d.queues?.some((q) => q.pbx === pbx && q.name === name)) out.push(d.id);
  return out;
}
