// The board as one viewer receives it: the shapes the server sends (snapshot, deltas, resume) and the
// browser renders. visibility.ts decides what goes into them.

import type { Operation } from "./directory.js";
import type { CallView } from "./live-model.js";
import type { SeenParty } from "./party-visibility.js";
import type { PbxLink } from "./pbx-links.js";
import type { Presence } from "./presence.js";
import type { QueueView } from "./queue-view.js";

export type { SeenParty } from "./party-visibility.js";
export type { QueueAgentView, QueueCallerView, QueueView } from "./queue-view.js";

export interface PersonCallView {
  /** This person's leg state in the call. */
  state: "dialing" | "ringing" | "up" | "held" | "parked";
  /** When this person's leg started ringing or dialling (not the call's start: that would link colleagues). */
  since: number;
  /** Present only with details (rule 3) or for the viewer's own calls. */
  call?: string;
  direction?: CallView["direction"];
  remote?: SeenParty[];
  recording?: boolean;
  /**
   * Who calls, on a ringing call shown only by rule P (the viewer may pick it up, the callee shows their
   * calls): the call's parties that are not ringing (usually one), colleagues as rule 3's other end allows.
   * With details the callers are in `remote` instead.
   */
  callers?: SeenParty[];
}

export interface PersonView {
  id: string;
  name: string;
  extension: string;
  departments: string[];
  presence: Presence;
  /** Present when the viewer may see this person's calls (rule 2), or their ringing calls (rule P). */
  calls?: PersonCallView[];
}

export interface MonitoringView {
  call: string;
  by?: string;
  target?: string;
  mode: "listen" | "whisper" | "barge";
  startedAt: number;
}

export interface ParkedCallView {
  call: string;
  lot: string;
  space: string;
  /** Since when it waits: when it was parked (the call's start when only a PBX snapshot told of the park). */
  since: number;
  /** The parked party, when the viewer may see the call's details. */
  party?: SeenParty;
  /** The user who parked it, when known and identifiable (rule 3's other end; oneself and admins: always). */
  by?: { user: string; name: string };
}

/** A department named on the board (by a person's `departments`): its id and its name. */
export interface DepartmentName {
  id: string;
  name: string;
}

/**
 * What the viewer may do, as far as their own settings and role go (the board shows only these buttons;
 * every operation is still authorized when asked for). Everyone may record their own calls.
 */
export type ViewerRights = Record<Operation, boolean> & {
  /** Start or stop recording colleagues' calls. */
  recordOthers: boolean;
};

export interface BoardView {
  viewer: string;
  may: ViewerRights;
  people: PersonView[];
  /** The departments the people on this board belong to, in directory order (names for their ids). */
  departments: readonly DepartmentName[];
  monitoring: MonitoringView[];
  parked: ParkedCallView[];
  /** The link to each PBX: whether what the board shows is live (it names no user: everyone gets it). */
  links: readonly PbxLink[];
  /** The panels of the queues the viewer's departments own (rule Q, queue-view.ts). */
  queues: QueueView[];
}
