// Spanning tree on one bridge, as ofproto runs it (OVS's ofproto-dpif STP glue): an 802.1D engine
// (./stp/stp.ts) over the bridge's ports, mapping port names to STP port numbers, carrying BPDUs in and
// out as Ethernet frames, and reporting when port states change (flows must be revalidated) or the
// topology changed (learned MACs must be flushed).
import type { Bpdu } from './stp/bpdu.js';
import { encodeStpFrame } from './stp/bpdu.js';
import type { StpBridgeSettings, StpPortSettings } from './stp/config.js';
import { STP_MAX_PORTS, Stp, type StpState } from './stp/stp.js';

/** What changed during a tick or a received BPDU. */
export interface StpOutcome {
  /** Some port changed state (or the root changed): translations that consulted states are stale. */
  changed: boolean;
  /** The topology changed: learned MACs should be flushed. */
  flush: boolean;
}

/** Sends a BPDU frame out of a port. */
export type StpTransmit = (portName: string, frame: Uint8Array) => void;

interface MemberPort {
  readonly portNo: number;
  mac: string;
}

/** The spanning tree of one bridge. */
export class BridgeStp {
  readonly stp: Stp;
  private readonly members = new Map<string, MemberPort>();
  private readonly outbox: [number, Bpdu][] = [];
  private seenSeq: number;

  constructor(
    settings: StpBridgeSettings,
    now: number,
    private readonly transmit: StpTransmit,
  ) {
    this.stp = new Stp({
      bridgeId: settings.bridgeId,
      helloTime: settings.helloTime,
      maxAge: settings.maxAge,
      forwardDelay: settings.forwardDelay,
      now,
      sendBpdu: (portNo, bpdu) => {
        this.outbox.push([portNo, bpdu]);
      },
    });
    this.seenSeq = this.stp.seq;
  }

  /** Applies new bridge settings (bridge id and timers). */
  configure(settings: StpBridgeSettings): void {
    if (settings.bridgeId !== this.stp.bridgeId) this.stp.setBridgeId(settings.bridgeId);
    this.stp.setHelloTime(settings.helloTime);
    this.stp.setMaxAge(settings.maxAge);
    this.stp.setForwardDelay(settings.forwardDelay);
  }

  /** Adds or updates a participating port; a port with STP disabled is removed. */
  setPort(name: string, settings: StpPortSettings, mac: string, up: boolean): void {
    const have = this.members.get(name);
    if (!settings.enabled || settings.portNum === 'invalid') {
      if (have !== undefined) this.removePort(name);
      return;
    }
    const wanted = settings.portNum ?? have?.portNo ?? this.freePortNumber();
    if (wanted === undefined) return;
    if (have !== undefined && have.portNo !== wanted) this.removePort(name);
    const cur = this.members.get(name);
    if (cur === undefined) {
      if (this.stp.hasPort(wanted)) return; // two ports asked for one number: the second stays out
      this.stp.addPort(wanted, {
        priority: settings.priority,
        pathCost: settings.pathCost,
        enabled: up,
        name,
      });
      this.members.set(name, { portNo: wanted, mac });
      return;
    }
    cur.mac = mac;
    this.stp.setPortPriority(cur.portNo, settings.priority);
    this.stp.setPathCost(cur.portNo, settings.pathCost);
    this.stp.setPortEnabled(cur.portNo, up);
  }

  /** Removes a port from the tree. */
  removePort(name: string): void {
    const m = this.members.get(name);
    if (m === undefined) return;
    this.members.delete(name);
    this.stp.removePort(m.portNo);
  }

  /** The port's state, or null when it does not take part (it then forwards, as in OVS). */
  state(name: string): StpState | null {
    const m = this.members.get(name);
    return m === undefined ? null : this.stp.portState(m.portNo);
  }

  /** A BPDU frame received on port `name`. */
  receive(name: string, buf: Uint8Array, offset: number, length: number, now: number): StpOutcome {
    const m = this.members.get(name);
    if (m !== undefined) this.stp.receiveFrame(m.portNo, buf, offset, length, now);
    return this.settle();
  }

  /** Advances the timers to `now`. */
  tick(now: number): StpOutcome {
    this.stp.tick(now);
    return this.settle();
  }

  /** `stp/tcn`: starts a topology change. */
  topologyChange(): StpOutcome {
    this.stp.forceTopologyChange();
    return this.settle();
  }

  /** The STP port number of `name`, if it takes part. */
  portNumber(name: string): number | undefined {
    return this.members.get(name)?.portNo;
  }

  /** Sends queued BPDUs and reports what changed. */
  private settle(): StpOutcome {
    const sends = this.outbox.splice(0, this.outbox.length);
    for (const [portNo, bpdu] of sends) {
      for (const [name, m] of this.members) {
        if (m.portNo === portNo) this.transmit(name, encodeStpFrame(m.mac, bpdu));
      }
    }
    const changed = this.stp.seq !== this.seenSeq;
    this.seenSeq = this.stp.seq;
    return { changed, flush: this.stp.checkAndResetFdbFlush() };
  }

  private freePortNumber(): number | undefined {
    for (let n = 1; n <= STP_MAX_PORTS; n++) if (!this.stp.hasPort(n)) return n;
    return undefined;
  }
}

/** Whether a port in `state` (null: not in the tree) may learn source MACs. */
export function stpMayLearn(state: StpState | null): boolean {
  return state === null || state === 'learning' || state === 'forwarding';
}

/** Whether a port in `state` (null: not in the tree) may receive and send ordinary frames. */
export function stpMayForward(state: StpState | null): boolean {
  return state === null || state === 'forwarding';
}
