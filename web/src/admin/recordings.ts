// The recording failures tab: recordings whose processing (copy to the store, index) used up its retries,
// from GET /v1/recordings/failed: what failed (the call, who was recorded, the file), why, and when.

import { button, byId, element } from "../session.js";
import { call, duration, emptyRow, row, state, userName, when } from "./common.js";

interface FailedRecording {
  id: string;
  recording: {
    pbx: string;
    callId: string;
    leg: string;
    extension?: string;
    file: string;
    startedAt: number;
    stoppedAt: number;
    direction: string;
    requiredBy: string[];
    onDemandBy?: string;
  };
  failedReason?: string;
  attemptsMade: number;
  failedAt?: number;
}

const COLUMNS = 7;

function who(r: FailedRecording["recording"]): string {
  const user = state.directory?.document.users.find((u) => u.extension === r.extension);
  const recorded = user
    ? `${user.name} (${user.extension})`
    : r.extension
      ? `extension ${r.extension}`
      : r.leg;
  const why = r.onDemandBy
    ? `started by ${userName(r.onDemandBy)}`
    : r.requiredBy.length
      ? `required for ${r.requiredBy.map(userName).join(", ")}`
      : "";
  return why ? `${recorded}; ${why}` : recorded;
}

function failedRow(f: FailedRecording): HTMLTableRowElement {
  const r = f.recording;
  const tr = row([
    when(f.failedAt),
    `${r.pbx} · ${r.callId} (${r.direction})`,
    `${when(r.startedAt)}, ${duration(r.stoppedAt - r.startedAt)}`,
    who(r),
    element("code", r.file),
    String(f.attemptsMade),
    f.failedReason ?? "no reason given",
  ]);
  tr.dataset.job = f.id;
  return tr;
}

export async function loadRecordingFailures(): Promise<void> {
  const note = byId("recordings-note");
  let missing = false;
  const answer = await call<{ failed: FailedRecording[] }>(
    "GET",
    "/v1/recordings/failed?limit=200",
    undefined,
    (text, status) => {
      missing = status === 404;
      note.textContent = missing
        ? "Recording is not set up on this server."
        : `Could not read the failures: ${text}`;
    },
  );
  if (!answer) {
    if (missing)
      byId("recordings").replaceChildren(emptyRow("Recording is not set up on this server.", COLUMNS));
    return;
  }
  const failed = answer.failed;
  note.textContent =
    failed.length === 0
      ? "No recording has failed."
      : `${failed.length} recording${failed.length === 1 ? "" : "s"} could not be stored after every retry, newest first.`;
  byId("recordings").replaceChildren(
    ...(failed.length ? failed.map(failedRow) : [emptyRow("No failed recordings.", COLUMNS)]),
  );
  byId("recordings-count").textContent = failed.length ? ` (${failed.length})` : "";
}

export function wireRecordings(): void {
  byId("recordings-actions").replaceChildren(button("Refresh", () => void loadRecordingFailures()));
}
