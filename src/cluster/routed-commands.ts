// Where a clustered driver's call commands run: on the real driver where this instance owns the PBX,
// through the command relay to the owner elsewhere — and nowhere while this instance is cut off from
// Redis (another instance may own the PBX by then). The owner checks again right before it acts on a
// relayed command: a paused owner that lost its lease must not act on the PBX.

import type {
  CallCommands,
  CommandOutcome,
  IvrRequest,
  MonitorRequest,
  ParkedPickupRequest,
  PickupRequest,
  RecordingRequest,
} from "../pbx/driver.js";
import { type CommandRelay, type RelayedCommand, runCommand } from "./command-relay.js";

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

  protected route(cmd: RelayedCommand): Promise<CommandOutcome> {
    if (this.isOwner()) return runCommand(this.real, cmd);
    if (this.cutOff) return Promise.resolve({ status: "failed", message: ISOLATED });
    return this.relay.send(cmd);
  }

  /** A command relayed to this instance as the owner. */
  protected executeRelayed(cmd: RelayedCommand): Promise<CommandOutcome> {
    if (!this.isOwner()) {
      return Promise.resolve({
        status: "failed",
        message: `instance ${this.instance} no longer owns pbx ${this.pbx}; not carried out`,
      });
    }
    return runCommand(this.real, cmd);
  }

  monitor(req: MonitorRequest): Promise<CommandOutcome> {
    return this.route({ op: "monitor", req });
  }

  pickup(req: PickupRequest): Promise<CommandOutcome> {
    return this.route({ op: "pickup", req });
  }

  pickupParked(req: ParkedPickupRequest): Promise<CommandOutcome> {
    return this.route({ op: "pickupParked", req });
  }

  sendToIvr(req: IvrRequest): Promise<CommandOutcome> {
    return this.route({ op: "sendToIvr", req });
  }

  startRecording(req: RecordingRequest): Promise<CommandOutcome> {
    return this.route({ op: "startRecording", req });
  }

  stopRecording(req: { leg: string }): Promise<CommandOutcome> {
    return this.route({ op: "stopRecording", req });
  }
}
