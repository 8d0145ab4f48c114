// The native addon (native/, C over N-API): loaded on first use from native/build/Release, with a type for
// each function. The addon only maps system calls; what to do with them is decided by system.ts and
// internal.ts. Its errors carry `code` (the errno name), `syscall` and `reason` (the strerror text).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { NetdevError } from './netdev.js';

/** Memory made by regionCreate: its id for send calls and the ArrayBuffer over it. */
export interface NativeRegion {
  region: number;
  buffer: ArrayBuffer;
}

/** An AF_PACKET socket bound to one interface, with its TPACKET_V2 rx ring mapped as a region. */
export interface PacketSocket {
  fd: number;
  region: number;
  ring: ArrayBuffer;
  ifindex: number;
}

/** A TAP device opened (and created, unless it existed as a persistent TAP) by tapOpen. */
export interface TapDevice {
  fd: number;
  ifindex: number;
  name: string;
}

/** What the interface ioctls report about a device. */
export interface IfInfo {
  ifindex: number;
  mtu: number;
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
  /** IFF_* flags (IFF_UP, IFF_RUNNING, ...). */
  flags: number;
}

/** A device's link settings (ethtool ETHTOOL_GSET), as Open vSwitch reads its port features. */
export interface LinkSettings {
  /** Mb/s; 0 when unknown. */
  speed: number;
  /** ethtool DUPLEX_HALF (0), DUPLEX_FULL (1), or DUPLEX_UNKNOWN. */
  duplex: number;
  /** ethtool PORT_TP (0), PORT_FIBRE (3), ... */
  port: number;
  /** Autonegotiation on (1) or off (0). */
  autoneg: number;
  /** ethtool SUPPORTED_* bits. */
  supported: number;
  /** ethtool ADVERTISED_* bits. */
  advertising: number;
}

/**
 * A read of up to `max` frames into a region's slots: frame i at offsets[i] (slotLen bytes there), its
 * length to lengths[i]; returns how many were read.
 */
export type SlotRead = (
  fd: number,
  region: number,
  offsets: Uint32Array,
  lengths: Uint32Array,
  max: number,
  slotLen: number,
) => number;

/** A packet ring's counters since the previous packetStats call. */
export interface RingStats {
  packets: number;
  drops: number;
}

/** An error thrown by the addon for a failed system call. */
export interface NativeError extends Error {
  /** errno name, e.g. 'ENODEV'; 'EINVAL' for bad arguments. */
  code: string;
  /** The call that failed, e.g. 'bind(AF_PACKET)'. */
  syscall?: string;
  /** strerror text, e.g. 'No such device'. */
  reason?: string;
}

/** A NETLINK_ROUTE socket opened by netlinkOpen (closed with closeFd). */
export interface NetlinkSocket {
  fd: number;
  /** The port id (nl_pid) the kernel gave the socket: replies to its requests carry it. */
  portId: number;
}

/** A datagram socket for tunnels, opened by udpOpen or rawOpen (closed with closeFd). */
export interface DgramSocket {
  fd: number;
  family: 4 | 6;
  /** The local UDP port it is bound to (the kernel's choice when udpOpen was given 0); 0 for raw sockets. */
  port: number;
}

/** Called while a polled descriptor is readable: status 0, or a negative libuv error once (poll over). */
export type ReadableCallback = (status: number) => void;

/** The addon's functions; every one is synchronous and throws NativeError. */
export interface NativeAddon {
  /** Page-aligned zeroed memory of at least `size` bytes, usable by id in send calls. */
  regionCreate(size: number): NativeRegion;
  /** Detaches the region's ArrayBuffer and unmaps it. */
  regionFree(region: number): void;
  /**
   * An AF_PACKET socket on `ifname` (TPACKET_V2 ring of `frameCount` frames of `frameSize` bytes,
   * `blockSize / frameSize` of them per ring block; PACKET_VNET_HDR; PACKET_RESERVE `reserve`). A frame
   * longer than its ring slot is also queued whole on the socket (PACKET_COPY_THRESH, a receive buffer of
   * a few MiB) and its slot marked TP_STATUS_COPY: read it with packetRecv.
   */
  packetOpen(
    ifname: string,
    frameSize: number,
    frameCount: number,
    reserve: number,
    blockSize?: number,
  ): PacketSocket;
  /** One sendmmsg of `count` (region, offset, length) frames, each starting with its vnet header. */
  /** The device's link settings, or null when its driver has none. */
  ifLinkSettings(name: string): LinkSettings | null;
  /** malloc_trim(0): returns the C heap's free pages to the kernel; true when some were. */
  mallocTrim(): boolean;
  packetSend(fd: number, descs: Uint32Array, count: number): number;
  /**
   * One recvmmsg of up to `max` (<= PACKET_RECV_MAX) frames queued on a packet socket (those too big for
   * their ring slot, in ring order): frame i, its vnet header first, at offsets[i] in `region` (at most
   * slotLen bytes), its whole length with the vnet header to lengths[i] (more than slotLen: cut short).
   * Returns the count; 0 when nothing is queued.
   */
  packetRecv: SlotRead;
  /** The ring's counters (PACKET_STATISTICS; reading resets them). */
  packetStats(fd: number): RingStats;
  /** Reads and clears a socket's pending error (SO_ERROR): an errno number, 0 for none. */
  sockError(fd: number): number;
  /** Creates a TAP with a 10-byte vnet header and checksum/TSO (and USO where possible) offloads. */
  tapOpen(name: string): TapDevice;
  /** Reads up to `max` frames, frame i at offsets[i] (slotLen bytes there), its length to lengths[i]. */
  tapRead: SlotRead;
  /** Writes `count` (region, offset, length) frames, one write() each; returns how many were taken. */
  tapWrite(fd: number, descs: Uint32Array, count: number): number;
  /** Watches `fd` for readability on this thread's event loop; returns a handle for pollStop. */
  pollStart(fd: number, onReadable: ReadableCallback): number;
  /** Stops a poll; its callback is not called again. */
  pollStop(handle: number): void;
  /** Stops polls on fd, unmaps its packet ring (if any) and closes it. */
  closeFd(fd: number): void;
  /** ifindex, MTU, MAC and flags of a device (code ENODEV when there is none). */
  ifInfo(name: string): IfInfo;
  /** Sets or clears the device's IFF_UP flag. */
  ifSetUp(name: string, up: boolean): void;
  /** Sets the device's MTU. */
  ifSetMtu(name: string, mtu: number): void;
  /** Sets the device's Ethernet address ("aa:bb:cc:dd:ee:ff"). */
  ifSetMac(name: string, mac: string): void;
  /**
   * A non-blocking NETLINK_ROUTE socket in this thread's network namespace, bound to the RTMGRP_* bitmask
   * `groups`, with a receive buffer of `rcvbuf` bytes (0 keeps the kernel's default).
   */
  netlinkOpen(groups: number, rcvbuf: number): NetlinkSocket;
  /**
   * Receives pending datagrams back to back into `buf` until none is left, `lengths` is full or fewer than
   * `minRoom` bytes remain; lengths[i] is datagram i's real length (more than the room it had: truncated,
   * and the last). Returns the count, or -1 when the kernel dropped messages (ENOBUFS): then what this
   * call read is dropped too, and the caller must resync.
   */
  netlinkRecv(fd: number, buf: Uint8Array, lengths: Uint32Array, minRoom: number): number;
  /** Sends buf[0, length) to the kernel as one netlink datagram (e.g. an RTM_GETLINK dump request). */
  netlinkSend(fd: number, buf: Uint8Array, length: number): void;
  /**
   * A non-blocking UDP socket bound to localAddr:port ('' = '0.0.0.0'; an IPv6 literal or '::' makes it
   * AF_INET6 with IPV6_V6ONLY; port 0 lets the kernel choose). SO_REUSEADDR, IP_PKTINFO/IPV6_RECVPKTINFO,
   * SO_RCVBUF/SO_SNDBUF of `bufBytes` (FORCE variants first; 0 keeps the defaults), and path-MTU discovery
   * DO (DF set) when `df`, DONT otherwise. A bad address throws RangeError EINVAL; a failed call throws
   * with its errno code ('EADDRINUSE' from bind, ...).
   */
  udpOpen(localAddr: string, port: number, bufBytes: number, df: boolean): DgramSocket;
  /**
   * A non-blocking raw IP socket for protocol `proto` (1..254, e.g. 47 for GRE) bound to localAddr (as in
   * udpOpen), with the same options. An IPv4 one receives each datagram with its IPv4 header in front; an
   * IPv6 one without. Sends never include the IP header. Needs CAP_NET_RAW (EPERM otherwise).
   */
  rawOpen(proto: number, localAddr: string, bufBytes: number, df: boolean): DgramSocket;
  /**
   * One recvmmsg of up to `max` (<= DGRAM_MAX_BATCH) datagrams: datagram i is written to `region` at
   * offsets[i] (at most slotLen bytes), its real length goes to lengths[i] (> slotLen: truncated, drop it),
   * and its addresses to addrs[i*9 .. i*9+8]: family (4|6), source (4 words), destination (4 words, from
   * IP_PKTINFO/IPV6_PKTINFO; zeros if absent). Addresses are 4 big-endian u32 words, IPv4 in word 0.
   * Returns the count; 0 when nothing is pending.
   */
  dgramRecv(
    fd: number,
    region: number,
    offsets: Uint32Array,
    lengths: Uint32Array,
    addrs: Uint32Array,
    max: number,
    slotLen: number,
  ): number;
  /**
   * One sendmmsg of `count` (<= DGRAM_MAX_BATCH) datagrams. Descriptor i is descs[i*10 .. i*10+9]:
   * [hdrRegion, hdrOffset, hdrLength, region, offset, length, dstPort, tos, ttl, family] — the tunnel
   * header (hdrLength 0: none) then the frame, to addrs[i*4 .. i*4+3] (4 big-endian words) port dstPort
   * (ignored by raw sockets), with an IP_TOS/IPV6_TCLASS control message unless tos is DGRAM_KEEP and an
   * IP_TTL/IPV6_HOPLIMIT one unless ttl is DGRAM_KEEP. Returns how many the kernel took: 0 when the socket
   * cannot take more now (EAGAIN, ENOBUFS); fewer than count when datagram n (the count) was refused or the
   * socket filled (calling again from n tells which). A refusal of the first datagram throws (e.g.
   * ENETUNREACH, EMSGSIZE) naming the destination. Bad descriptors throw RangeError EINVAL before any send.
   */
  dgramSend(fd: number, descs: Uint32Array, addrs: Uint32Array, count: number): number;
}

/** Most frames one packetRecv call takes. */
export const PACKET_RECV_MAX = 64;
/** Most datagrams one dgramRecv or dgramSend call handles. */
export const DGRAM_MAX_BATCH = 64;
/** Words of addrs per datagram in dgramRecv: family, source (4), destination (4). */
export const DGRAM_ADDR_WORDS = 9;
/** Words of descs per datagram in dgramSend. */
export const DGRAM_DESC_WORDS = 10;
/** A dgramSend descriptor's tos or ttl that leaves the socket's default. */
export const DGRAM_KEEP = 0xffff;

/** IFF_UP: administratively up. */
export const IFF_UP = 0x1;
/** IFF_RUNNING: operationally up (carrier). */
export const IFF_RUNNING = 0x40;

/** Where node-gyp puts the addon, relative to the package root. */
export const ADDON_PATH = join('native', 'build', 'Release', 'tsovs_native.node');

let addon: NativeAddon | undefined;

/** The addon, loaded on first call; throws NetdevError('ENOTSUP') when it is not built. */
export function native(): NativeAddon {
  if (addon !== undefined) return addon;
  const path = join(packageRoot(), ADDON_PATH);
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    if (isNodeError(err) && err.code === 'MODULE_NOT_FOUND')
      throw new NetdevError(
        'ENOTSUP',
        'the native addon is not built: run `npm install` (needs g++, make, python3)',
      );
    throw new NetdevError('ENOTSUP', `the native addon ${path} could not be loaded: ${String(err)}`);
  }
  return addon;
}

/** Whether the addon is built and loads. */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

/** Whether `err` is an error with a string `code` (the addon's, or Node's own). */
export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}
