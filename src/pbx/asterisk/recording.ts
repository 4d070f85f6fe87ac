// Recording file names as Asterisk gives them.

/** The channel variable MixMonitor sets to the file it writes (AMI VarSet / Status, ARI ChannelVarset). */
export const MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME";

/** An ARI recording's file: its name with the format as extension (`callsight-…` + `wav`). */
export function recordingFile(name: string, format: string | undefined): string {
  return format ? `${name}.${format}` : name;
}
