// Follow-me and call forward as a FreePBX-style dialplan places them, seen the same way in AMI and ARI: the
// dialplan runs for an extension and dials a Local channel to another number; that Local's `;2` half runs
// the outbound route and dials the trunk (test/fixtures/queues/asterisk/35-followme-external, 36-…).
// - follow-me: the caller's channel is at `FM<extension>` in `ext-findmefollow` when it dials
//   `Local/<mobile>@from-internal/n` (and `Local/FMPR-<extension>@…` for the desk phone);
// - call forward: the caller's channel is still at the forwarded extension (`1002@from-internal`) when it
//   dials `Local/<forward number>@from-internal/n`.
// Which of those extensions is a user's is for the model to say: a ring group's or queue's number (600,
// 400) dialling a Local to a member is remembered here too and means nothing there.

const FOLLOW_ME_CONTEXT = "ext-findmefollow";
const FOLLOW_ME_EXTEN = /^FM(.+)$/;

/** `Local/15557654321@from-internal-00000001;2` -> `Local/15557654321@from-internal-00000001`. */
function pairOf(localName: string): string | undefined {
  if (!localName.startsWith("Local/")) return undefined;
  const semi = localName.lastIndexOf(";");
  return semi > 0 ? localName.slice(0, semi) : undefined;
}

/** `Local/15557654321@from-internal-00000001;1` -> `15557654321`. */
function localTarget(localName: string): string {
  const at = localName.indexOf("@");
  return localName.slice("Local/".length, at < 0 ? undefined : at);
}

/** Which Local pairs a diversion dialled, and for which extension, while they exist. */
export class LocalDiversions {
  private readonly byPair = new Map<string, string>();

  /**
   * Channel `caller`, at `exten` in `context`, dials Local channel `local`: the pair runs for the extension the
   * caller was diverting for (a Local `;2` half passes on what its own pair was dialled for).
   */
  dialled(caller: string, context: string, exten: string, local: string): void {
    const pair = pairOf(local);
    if (!pair) return;
    const inherited = this.forChannel(caller);
    const followMe = context === FOLLOW_ME_CONTEXT ? FOLLOW_ME_EXTEN.exec(exten)?.[1] : undefined;
    const extension =
      inherited ??
      followMe ??
      (exten !== "" && exten !== "s" && exten !== localTarget(local) ? exten : undefined);
    if (extension !== undefined) this.byPair.set(pair, extension);
  }

  /** The extension a Local half (and so what it dials) runs for, when a diversion dialled its pair. */
  forChannel(name: string): string | undefined {
    const pair = pairOf(name);
    return pair === undefined ? undefined : this.byPair.get(pair);
  }

  /** A channel hung up: a Local pair is forgotten with its first half's end (both halves end together). */
  gone(name: string): void {
    const pair = pairOf(name);
    if (pair !== undefined) this.byPair.delete(pair);
  }

  reset(): void {
    this.byPair.clear();
  }
}
