// Users' presence as the live model keeps it: what each user's devices last reported (registrations), the
// state they chose and their DND, and the presence derived from those and from what their legs are doing.

import type { DeviceIndex, Directory, User } from "./directory.js";
import type { PbxLinks } from "./pbx-links.js";
import { type ChosenPresence, derivePresence, type Presence, type PresenceInputs } from "./presence.js";

/** What one of a user's legs is doing, as presence reads it. */
export type LegActivity = PresenceInputs["legs"][number];

export interface PresenceChange {
  kind: "presence";
  user: string;
  presence: Presence;
  previous: Presence;
}

interface UserInputs {
  chosen: ChosenPresence;
  dnd: boolean;
}

export class UserPresence {
  private readonly reachability = new Map<string, Map<string, boolean>>();
  private readonly inputs = new Map<string, UserInputs>();
  private readonly presence = new Map<string, Presence>();

  constructor(
    private directory: Directory,
    private devices: DeviceIndex,
    private readonly links: PbxLinks,
    /** What the user's legs are doing now. */
    private readonly activityOf: (user: string) => LegActivity[],
  ) {
    for (const id of directory.users.keys()) this.presence.set(id, this.compute(id));
  }

  /** Replaces the directory; the presence of every user in it is recomputed. */
  setDirectory(directory: Directory, devices: DeviceIndex): PresenceChange[] {
    this.directory = directory;
    this.devices = devices;
    const touched = new Set<string>(directory.users.keys());
    for (const id of [...this.presence.keys()]) if (!directory.users.has(id)) this.presence.delete(id);
    return this.changes(touched);
  }

  of(user: string): Presence {
    return this.presence.get(user) ?? "offline";
  }

  /** Whether the user is in do not disturb: the PBX's DND, or the status they chose. */
  dndOf(user: string): boolean {
    const inputs = this.inputs.get(user);
    return inputs !== undefined && (inputs.dnd || inputs.chosen === "dnd");
  }

  all(): ReadonlyMap<string, Presence> {
    return this.presence;
  }

  /** The users with an extension or a device on `pbx`. */
  touchUsersOn(pbx: string, touchedUsers: Set<string>): void {
    for (const u of this.directory.users.values()) if (pbxesOf(u).includes(pbx)) touchedUsers.add(u.id);
  }

  /** A device registered or dropped. */
  setReachability(pbx: string, endpoint: string, reachable: boolean, touchedUsers: Set<string>): void {
    const resource = endpoint.slice(endpoint.lastIndexOf("/") + 1);
    const user = this.devices.userForDevice(pbx, endpoint, resource);
    if (!user) return;
    let devices = this.reachability.get(user);
    if (!devices) {
      devices = new Map();
      this.reachability.set(user, devices);
    }
    devices.set(`${pbx}\u0000${endpoint}`, reachable);
    touchedUsers.add(user);
  }

  /** The user with this extension chose a presence state. */
  setChosen(pbx: string, extension: string, state: ChosenPresence, touchedUsers: Set<string>): void {
    const user = this.devices.userForExtension(pbx, extension);
    if (!user) return;
    this.userInputs(user).chosen = state;
    touchedUsers.add(user);
  }

  /** The user with this extension switched DND on or off. */
  setDnd(pbx: string, extension: string, on: boolean, touchedUsers: Set<string>): void {
    const user = this.devices.userForExtension(pbx, extension);
    if (!user) return;
    this.userInputs(user).dnd = on;
    touchedUsers.add(user);
  }

  /** Recomputes the presence of `users` (directory users only); returns those that changed. */
  changes(users: Iterable<string>): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const user of users) {
      if (!this.directory.users.has(user)) continue;
      const previous = this.presence.get(user) ?? "offline";
      const next = this.compute(user);
      if (next !== previous) {
        this.presence.set(user, next);
        changes.push({ kind: "presence", user, presence: next, previous });
      } else if (!this.presence.has(user)) {
        this.presence.set(user, next);
      }
    }
    return changes;
  }

  private userInputs(user: string): UserInputs {
    let inputs = this.inputs.get(user);
    if (!inputs) {
      inputs = { chosen: "not-set", dnd: false };
      this.inputs.set(user, inputs);
    }
    return inputs;
  }

  private compute(user: string): Presence {
    const inputs = this.inputs.get(user);
    const legs = this.activityOf(user);
    const u = this.directory.users.get(user);
    return derivePresence({
      reachability: [...(this.reachability.get(user)?.values() ?? [])],
      devicesListed: u !== undefined && pbxesOf(u).some((p) => this.links.devicesListed(p)),
      chosen: inputs?.chosen ?? "not-set",
      dnd: inputs?.dnd ?? false,
      legs,
    });
  }
}

/** The PBXes a user's extension and devices live on. */
function pbxesOf(user: User): string[] {
  return [user.pbx, ...user.devices.map((d) => d.pbx)];
}
