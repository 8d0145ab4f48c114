// The Datapath provider interface (Open vSwitch's dpif_class): numbered ports over netdevs, flow caches
// in front of an UpcallHandler, packet execution, and the counters `dpif/show` and `dpctl/*` print.
import type { Netdev } from '../netdev/netdev.js';
import type { UpcallHandler } from './upcall.js';

/** One datapath port. */
export interface DatapathPort {
  /** Datapath port number (0 is the datapath's own internal port, as in OVS's ovs-netdev). */
  readonly number: number;
  readonly netdev: Netdev;
}

/** Lookup counters, as `dpif/show` prints them. */
export interface DatapathStats {
  hit: number;
  missed: number;
  lost: number;
  flows: number;
  masks: number;
}

/** A datapath: all bridges of one vswitchd share it (like OVS's netdev@ovs-netdev). */
export interface Datapath {
  /** "ovs-netdev". */
  readonly name: string;
  /** Datapath type ("netdev"). */
  readonly type: string;
  /** Adds a port; uses `requested` when free, else the lowest free number; starts receiving. */
  addPort(netdev: Netdev, requested?: number): DatapathPort;
  /** Removes a port and every cached flow that involves it. */
  removePort(port: number): void;
  /** The port with this number. */
  port(port: number): DatapathPort | undefined;
  /** All ports, by number. */
  ports(): DatapathPort[];
  /** Sets where misses and userspace actions go. */
  setUpcallHandler(handler: UpcallHandler): void;
  /** Removes every cached flow whose translation depended on `tag`. */
  invalidate(tag: string): void;
  /** Removes every cached flow. */
  flushFlows(): void;
  /** Runs actions on a frame built in userspace (packet-out, BPDUs); `inPort` 0 when none. */
  execute(frame: Uint8Array, actions: Uint32Array, inPort: number): void;
  /** Cached flows in `ovs-appctl dpctl/dump-flows` format, one per line. */
  dumpFlows(now: number): string[];
  /** Lookup counters. */
  stats(): DatapathStats;
  /** Pushes every cached flow's traffic since the last sweep to its onUsed callback (rule counters). */
  pushStats(now: number): void;
  /** Expires idle flows and runs the revalidator's onUsed callbacks; call about once a second. */
  tick(now: number): void;
  /** Stops receiving and closes every port. */
  close(): void;
}
