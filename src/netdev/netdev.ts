// The Netdev provider interface (Open vSwitch's netdev_class): one implementation per port kind
// (`system` AF_PACKET, `internal` TAP, `dummy` in memory; tunnels later), registered by type string.
// The datapath receives batches from a netdev and queues frames to others, then flushes once per batch.
//
// Frame memory: a frame lives in a "region" (a native ring or buffer, or plain JS memory with region -1).
// Every frame is preceded by its 10-byte virtio-net header at `offset - VNET_HDR_LEN`, and at least
// RX_HEADROOM writable bytes lie before that header, so VLAN tags and tunnel headers are pushed in place.
import type { LinkSettings } from './native.js';

/** Size of struct virtio_net_hdr (no num_buffers). */
export const VNET_HDR_LEN = 10;
/** Writable bytes before a received frame's virtio-net header. */
export const RX_HEADROOM = 128;
/** Largest frame a port receives whole (a 64 KiB GSO super-frame plus its Ethernet/VLAN header). */
export const MAX_FRAME = 65536 + 64;
/** Region id for frames in plain JS memory (not known to the native addon). */
export const JS_REGION = -1;

/** Tunnel metadata of a tunnel port's received frames, frame i at index i (the flow key's K_TUN_* words). */
export interface RxTunnel {
  /** tun_id, high and low 32 bits. */
  readonly idHi: Uint32Array;
  readonly idLo: Uint32Array;
  /** Outer IPv4 source and destination. */
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  /** K_TUN_FLAGS: key/csum/df bits | TOS << 8 | TTL << 16. */
  readonly flags: Uint32Array;
}

/** A batch of received frames; valid only during the RxHandler call. */
export interface RxBatch {
  /** Bytes of the region the frames lie in. */
  readonly buf: Uint8Array;
  /** Native region id of `buf`, or JS_REGION. */
  readonly region: number;
  /** Offset of each frame's Ethernet header in `buf`. */
  readonly offsets: Uint32Array;
  /** Length of each frame (Ethernet header to end, without the virtio-net header). */
  readonly lengths: Uint32Array;
  /** Number of frames in this batch. */
  count: number;
  /** Set by tunnel ports: where each frame came from in the underlay. */
  readonly tunnel?: RxTunnel;
}

/** Called with each received batch. */
export type RxHandler = (batch: RxBatch) => void;

/** Interface counters, as Open vSwitch's Interface.statistics names them. */
export interface NetdevStats {
  rx_packets: number;
  rx_bytes: number;
  rx_dropped: number;
  rx_errors: number;
  tx_packets: number;
  tx_bytes: number;
  tx_dropped: number;
  tx_errors: number;
}

/** One port's device. Methods never throw on the packet path; open errors throw NetdevError. */
export interface Netdev {
  /** Device name (the Interface row's name). */
  readonly name: string;
  /** Provider type string: 'system', 'internal', 'dummy', ... */
  readonly type: string;
  /** Starts delivering received frames to `onRx` (at most one handler). */
  start(onRx: RxHandler): void;
  /** Stops delivering frames. */
  stop(): void;
  /**
   * Delivers the frames that are ready right now to the rx handler, synchronously (at most a few batches);
   * returns how many. The datapath calls it after sending, to pick up replies without waiting for a wakeup.
   */
  poll?(): number;
  /** Queues one frame (virtio-net header at offset-10) to send; the bytes must stay put until flush(). */
  enqueue(buf: Uint8Array, region: number, offset: number, length: number): void;
  /**
   * Tunnel ports: enqueue with tunnel metadata set by the pipeline — md[at..at+5) is tun_id high, low, src,
   * dst and flags (K_TUN_FLAGS layout) — used where the port's remote_ip or key is `flow`.
   */
  enqueueTunnel?(
    buf: Uint8Array,
    region: number,
    offset: number,
    length: number,
    md: Uint32Array,
    at: number,
  ): void;
  /** Sends every queued frame (one system call per batch where the kernel allows). */
  flush(): void;
  /** Ethernet address as "aa:bb:cc:dd:ee:ff". */
  mac(): string;
  /** Sets the Ethernet address (devices whose address this process may choose: internal, dummy). */
  setMac?(mac: string): void;
  /** MTU in bytes. */
  mtu(): number;
  /** Whether the link is up (carrier). */
  carrier(): boolean;
  /** Whether the device is administratively up. */
  adminUp(): boolean;
  /** The device's link settings (speed, duplex, medium); absent or null: none known (OpenFlow shows 0). */
  linkSettings?(): LinkSettings | null;
  /**
   * Sets the device administratively up or down (an OpenFlow port_mod's OFPPC_PORT_DOWN); throws when it
   * cannot. Absent: the device has no such state (tunnels), as in OVS, where turning it down fails.
   */
  setAdminUp?(up: boolean): void;
  /** Kernel ifindex, or 0 for devices without one. */
  ifindex(): number;
  /** Counters (the device's own, plus drops this process made). */
  stats(): NetdevStats;
  /** Interface.status pairs the device reports (tunnels: the egress interface and its carrier). */
  status?(): Record<string, string>;
  /** Releases the device (and deletes it when this process created it). */
  close(): void;
}

/** A device that cannot be opened: `message` is what the Interface's `error` column says. */
export class NetdevError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetdevError';
  }
}

/** Creates a netdev of one type; `options` is the Interface row's options column. */
export type NetdevFactory = (name: string, options: ReadonlyMap<string, string>) => Netdev;

const providers = new Map<string, NetdevFactory>();

/** Registers the factory for an Interface type. */
export function registerNetdevType(type: string, factory: NetdevFactory): void {
  providers.set(type, factory);
}

/** Opens a netdev of `type` (throws NetdevError for an unknown type or a device that cannot be opened). */
export function openNetdev(type: string, name: string, options: ReadonlyMap<string, string>): Netdev {
  const factory = providers.get(type === '' ? 'system' : type);
  if (factory === undefined)
    throw new NetdevError('EAFNOSUPPORT', `${name}: unsupported interface type ${type}`);
  return factory(name, options);
}
