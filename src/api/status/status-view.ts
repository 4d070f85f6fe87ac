// What the board and the API show of a person's chosen status: types only (the web board bundles them).

import type { UserStatus } from "../../pbx/driver.js";

export type { UserStatus };

/**
 * A person's chosen status as their PBX reports it (`status`, `note`), and when Callsight sets it back to
 * available (`until`, ms since epoch). Shown only to those who may see the person's presence (rule 1).
 */
export interface StatusView {
  user: string;
  status: UserStatus;
  /** The PBX's presence message (the note set with the status, or what the phone's feature code set). */
  note?: string;
  /** When the status goes back to available on the PBX. */
  until?: number;
}

/** What `GET /v1/status` answers, and the stream's `status` message: the people named, or all (`full`). */
export interface StatusList {
  people: StatusView[];
}
