// Every operation a viewer can ask for, in one table: its path (`POST /v1/operations/<path>`), what its
// body must name, the switch that allows it, and the board's button for it. The API's routes, the OpenAPI
// document, the authorization call and the board's buttons are all read from here (the board bundles this
// module), so adding an operation is a row here, how it becomes a PBX command (api/operations/commands.ts)
// and one case per driver. Pure data: no Node, no zod.

import type { Operation } from "./directory.js";

/** `dialExternal` is no operation of its own: it widens what `dial` may call (see SWITCHED_OPERATIONS). */
export type OperationName = Exclude<Operation, "dialExternal"> | "recordStart" | "recordStop";

/** The board's button for an operation. */
export interface OperationButton {
  label: string;
  /** The button's accessible name: `{who}` is "<name>'s call", `{name}` the person, `{space}` a parking space. */
  title?: string;
  /**
   * Where it shows: on a ringing call, on a call being talked (up or held), on a parked call, or on the
   * person's tile itself, whatever they are doing (`person`: click-to-call).
   */
  on: "ringing" | "talking" | "parked" | "person";
  /** On whose calls: the viewer's own, colleagues', or both. */
  whose: "mine" | "others" | "any";
  /** The right (`may`, visibility.ts) it needs; on the viewer's own call `mineFree` needs none. */
  may: Operation | "recordOthers";
  mineFree?: boolean;
  /** Only while the call is recorded (true) or not (false). */
  recording?: boolean;
  /** What the request names: the person whose call it is, the call's id, or the person to call (`to`). */
  sends: "target" | "call" | "to";
}

export interface OperationEntry {
  name: OperationName;
  path: string;
  summary: string;
  /** What the body must name: the user whose call it is, a call id, either, or whom to call (`to`). */
  needs: "target" | "call" | "either" | "to";
  /**
   * Who may: `operations.<switch>` (with a monitoring role where `monitoring`), or "recording" (one's own
   * call; others' with a monitoring role).
   */
  permission: { switch: Operation; monitoring: boolean } | "recording";
  button?: OperationButton;
}

export const OPERATION_TABLE: readonly OperationEntry[] = [
  {
    name: "pickup",
    path: "pickup",
    summary: "pick up a colleague's ringing call",
    needs: "target",
    permission: { switch: "pickup", monitoring: false },
    button: {
      label: "Pick up",
      title: "Pick up {who}",
      on: "ringing",
      whose: "others",
      may: "pickup",
      sends: "target",
    },
  },
  {
    name: "parkedPickup",
    path: "parked-pickup",
    summary: "pick up a call parked by my department",
    needs: "call",
    permission: { switch: "parkedPickup", monitoring: false },
    button: {
      label: "Pick up",
      title: "Pick up the call parked on {space}",
      on: "parked",
      whose: "any",
      may: "parkedPickup",
      sends: "call",
    },
  },
  {
    name: "listen",
    path: "listen",
    summary: "listen in on a colleague's call",
    needs: "target",
    permission: { switch: "listen", monitoring: true },
    button: {
      label: "Listen",
      title: "Listen on {who}",
      on: "talking",
      whose: "others",
      may: "listen",
      sends: "target",
    },
  },
  {
    name: "whisper",
    path: "whisper",
    summary: "talk to the colleague only",
    needs: "target",
    permission: { switch: "whisper", monitoring: true },
    button: {
      label: "Whisper",
      title: "Whisper on {who}",
      on: "talking",
      whose: "others",
      may: "whisper",
      sends: "target",
    },
  },
  {
    name: "barge",
    path: "barge",
    summary: "join both parties of a colleague's call",
    needs: "target",
    permission: { switch: "barge", monitoring: true },
    button: {
      label: "Barge",
      title: "Barge on {who}",
      on: "talking",
      whose: "others",
      may: "barge",
      sends: "target",
    },
  },
  {
    name: "takeOver",
    path: "take-over",
    summary: "take a colleague's call over: my phone replaces theirs, they are released",
    needs: "target",
    permission: { switch: "takeOver", monitoring: true },
    button: {
      label: "Take over",
      title: "Take over {who}",
      on: "talking",
      whose: "others",
      may: "takeOver",
      sends: "target",
    },
  },
  {
    name: "sendToIvr",
    path: "send-to-ivr",
    summary: "send a call (mine or my department's) to the IVR",
    needs: "target",
    permission: { switch: "sendToIvr", monitoring: false },
    button: {
      label: "To IVR",
      title: "Send {who} to the IVR",
      on: "talking",
      whose: "any",
      may: "sendToIvr",
      sends: "target",
    },
  },
  {
    name: "recordStart",
    path: "record-start",
    summary: "start recording a call",
    needs: "either",
    permission: "recording",
    button: {
      label: "Record",
      on: "talking",
      whose: "any",
      may: "recordOthers",
      mineFree: true,
      recording: false,
      sends: "call",
    },
  },
  {
    name: "recordStop",
    path: "record-stop",
    summary: "stop recording a call",
    needs: "either",
    permission: "recording",
    button: {
      label: "Stop recording",
      on: "talking",
      whose: "any",
      may: "recordOthers",
      mineFree: true,
      recording: true,
      sends: "call",
    },
  },
  {
    name: "dial",
    path: "call",
    summary:
      "click-to-call: ring my phone, and once I answer dial a colleague or a number as my extension (outside numbers need dialExternal)",
    needs: "to",
    permission: { switch: "dial", monitoring: false },
    button: {
      label: "Call",
      title: "Call {name}",
      on: "person",
      whose: "others",
      may: "dial",
      sends: "to",
    },
  },
];

/** Path -> operation. A Map: a path segment such as `constructor` or `__proto__` is no operation. */
export const OPERATION_BY_PATH: ReadonlyMap<string, OperationEntry> = new Map(
  OPERATION_TABLE.map((entry) => [entry.path, entry]),
);

/** The operations a switch allows, with whether they need a monitoring role too. */
export const SWITCHED_OPERATIONS: readonly { switch: Operation; monitoring: boolean }[] = [
  ...OPERATION_TABLE.flatMap((entry) => (entry.permission === "recording" ? [] : [entry.permission])),
  // No operation of its own: it lets `dial` call outside numbers too (dial-right.ts). The board reads it
  // from `may` to say so by the number box.
  { switch: "dialExternal", monitoring: false },
];

export const OPERATION_BY_NAME: ReadonlyMap<OperationName, OperationEntry> = new Map(
  OPERATION_TABLE.map((entry) => [entry.name, entry]),
);
