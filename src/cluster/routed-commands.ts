// Where a clustered driver's call commands run: on the real driver where this instance owns the PBX,
// through the command relay to the owner elsewhere — and nowhere while this instance is cut off from
// Redis (another instance may own the PBX by then). The owner checks again right before it acts on a
// relayed command: a paused owner that lost its lease must not act on the PBX.

import type { CallCommands, CommandOutcome, PbxCommand } from "../pbx/driver.js";
import type { CommandRelay } from "./command-relay.js";

const ISOLATED = "this instance cannot reach Redis: it does not act on the PBX until it has its lease back";

export abstract class RoutedCommands implements CallCommands {
  abstract readonly pbx: string;
  abstract readonly instance: string;
  abstract readonly relay: CommandRelay;
  /** Whether this instance owns the PBX connection now (and may act on the PBX). */
  abstract isOwner(): boolean;
  /** The real driver in use. */
  protected abstract get real(): CallCommands;
  /** Whether this instance keeps its PBX connection without reaching Redis. */
  protected abstract get cutOff(): boolean;

  /** A command, as data: to the real driver on the owner, to the owner through the relay elsewhere. */
  execute(command: PbxCommand): Promise<CommandOutcome> {
    if (this.isOwner()) return this.real.execute(command);
    if (this.cutOff) return Promise.resolve({ status: "failed", message: ISOLATED });
    return this.relay.send(command);
  }

  /** A command relayed to this instance as the owner. */
  protected executeRelayed(command: PbxCommand): Promise<CommandOutcome> {
    if (!this.isOwner()) {
      return Promise.resolve({
        status: "failed",
        message: `instance ${this.instance} no longer owns pbx ${this.pbx}; not carried out`,
      });
    }
    return this.real.execute(command);
  }
}
