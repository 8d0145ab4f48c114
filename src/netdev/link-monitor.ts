// Link-state monitor (Open vSwitch's netdev-linux does the same with rtnetlink): a NETLINK_ROUTE socket
// subscribed to RTMGRP_LINK tells the switch at once when an interface's admin state or carrier changes,
// or when it goes away. The addon only opens the socket and copies datagrams into one preallocated buffer
// (native/src/netlink.c); the netlink messages are decoded here. The socket sees the network namespace it
// was opened in: the process's own.
//
// When the kernel drops notifications for want of buffer space (ENOBUFS), the monitor resyncs by itself:
// it dumps every link (RTM_GETLINK) and, once the dump is complete, reports as deleted the links it knew
// that the dump no longer lists. It dumps once on start() too, so the first events give every link's state.

import { constants } from 'node:os';
import { type NativeAddon, type NetlinkSocket, native } from './native.js';

/** The multicast group of link notifications (RTMGRP_LINK, linux/rtnetlink.h). */
export const RTMGRP_LINK = 1;
/** IFF_LOWER_UP: the driver signals carrier (linux/if.h). */
export const IFF_LOWER_UP = 0x10000;

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
// linux/netlink.h
const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_DUMP_INTR = 0x10;
const NLM_F_DUMP = 0x300;
const NLA_TYPE_MASK = 0x3fff;
// linux/rtnetlink.h, linux/if_link.h
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const IFINFOMSG_LEN = 16;
const RTA_HDRLEN = 4;
const IFLA_IFNAME = 3;
const IFLA_OPERSTATE = 16;
const IFLA_CARRIER = 33;
const AF_UNSPEC = 0;
/** IFNAMSIZ - 1. */
const MAX_IFNAME = 15;
// Byte offsets: nlmsghdr {len u32, type u16, flags u16, seq u32, pid u32}, ifinfomsg {family u8, pad u8,
// type u16, index i32, flags u32, change u32}.
const NLMSG_TYPE = 4;
const NLMSG_FLAGS = 6;
const NLMSG_SEQ = 8;
const NLMSG_PID = 12;
const IFI_FAMILY = NLMSG_HDRLEN;
const IFI_INDEX = NLMSG_HDRLEN + 4;
const IFI_FLAGS = NLMSG_HDRLEN + 8;

/** Netlink is in host byte order. */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ENOBUFS = constants.errno.ENOBUFS;

/**
 * The kernel sizes a dump's datagrams after the largest buffer a socket has offered (at most 32 KiB), so
 * every recv is offered at least this much; the buffer holds two such datagrams, or dozens of notifications.
 */
const MIN_ROOM = 32768;
const RECV_BUFFER = 2 * MIN_ROOM;
/** Datagrams per netlinkRecv call at most. */
const MAX_DATAGRAMS = 64;
/** netlinkRecv calls per readable callback at most (readiness is level-triggered: the poll calls again). */
const RECV_ROUNDS = 16;
/** Receive buffer asked of the kernel, as Open vSwitch asks for its netlink sockets. */
const DEFAULT_RCVBUF = 1 << 20;

/** One link's state, as one netlink message (or the end of a resync) reported it. */
export interface LinkEvent {
  ifindex: number;
  name: string;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_RUNNING: operationally up (what Open vSwitch and our netdevs call carrier). */
  carrier: boolean;
  /** The physical carrier: IFLA_CARRIER (reported even while admin down), else IFF_LOWER_UP. */
  lowerUp: boolean;
  /** IF_OPER_* from IFLA_OPERSTATE (2 down, 5 dormant, 6 up, ...), -1 when absent. */
  operState: number;
  /** ifi_flags: IFF_* bits. */
  flags: number;
  /** RTM_DELLINK (or missing from a resync dump): the link is gone; up and carrier are then false. */
  deleted: boolean;
  /** From the monitor's own dump (start, resync) rather than a kernel notification. */
  dump: boolean;
}

/**
 * Called once per link message. The event object is reused for the next message: copy what you keep.
 * Reports repeat unchanged states (dumps, notifications of other attributes): act on changes.
 */
export type LinkCallback = (event: Readonly<LinkEvent>) => void;

/** What the monitor has seen since it was made. */
export interface LinkMonitorStats {
  /** Link messages reported. */
  messages: number;
  /** Messages or datagrams that did not decode (dropped). */
  malformed: number;
  /** Well-formed messages of no interest (other families or types). */
  ignored: number;
  /** Times the kernel dropped notifications (ENOBUFS), each followed by a resync. */
  overruns: number;
  /** Datagrams longer than the receive buffer (cut short). */
  truncated: number;
  /** Dumps completed. */
  dumps: number;
  /** Socket errors, failed or refused dump requests. */
  errors: number;
}

/** The addon functions the monitor uses (tests pass a fake). */
export type LinkMonitorIo = Pick<
  NativeAddon,
  'netlinkOpen' | 'netlinkRecv' | 'netlinkSend' | 'pollStart' | 'pollStop' | 'closeFd' | 'sockError'
>;

export interface LinkMonitorOptions {
  /** Receive buffer asked of the kernel in bytes (default 1 MiB). */
  rcvbuf?: number;
  /** The addon (default: the real one, loaded on start()). */
  io?: LinkMonitorIo;
}

/** A link known to the monitor: its name (reused while unchanged) and the last dump generation it was in. */
interface KnownLink {
  name: string;
  generation: number;
}

/** Reports link state changes of the current network namespace as rtnetlink announces them. */
export class LinkMonitor {
  readonly stats: LinkMonitorStats = {
    messages: 0,
    malformed: 0,
    ignored: 0,
    overruns: 0,
    truncated: 0,
    dumps: 0,
    errors: 0,
  };
  private io: LinkMonitorIo | undefined;
  private readonly rcvbuf: number;
  private sock: NetlinkSocket | undefined;
  private pollHandle = -1;
  private readonly buf = new Uint8Array(RECV_BUFFER);
  private readonly lengths = new Uint32Array(MAX_DATAGRAMS);
  private readonly bufView = new DataView(this.buf.buffer);
  private readonly request = new Uint8Array(NLMSG_HDRLEN + IFINFOMSG_LEN);
  private readonly requestView = new DataView(this.request.buffer);
  private readonly textDecoder = new TextDecoder();
  private bytes: Uint8Array = this.buf;
  private view: DataView = this.bufView;
  private readonly event: LinkEvent = {
    ifindex: 0,
    name: '',
    up: false,
    carrier: false,
    lowerUp: false,
    operState: -1,
    flags: 0,
    deleted: false,
    dump: false,
  };
  private readonly links = new Map<number, KnownLink>();
  private seq = 0;
  /** Sequence number of the dump in progress, 0 when none. */
  private dumpSeq = 0;
  private generation = 0;
  private dumpInterrupted = false;
  private redump = false;

  constructor(
    private readonly onLink: LinkCallback,
    options: LinkMonitorOptions = {},
  ) {
    this.io = options.io;
    this.rcvbuf = options.rcvbuf ?? DEFAULT_RCVBUF;
  }

  /** Whether the socket is open. */
  get running(): boolean {
    return this.sock !== undefined;
  }

  /** Opens the socket, watches it on the event loop and dumps every link; throws NativeError. */
  start(): void {
    if (this.sock !== undefined) return;
    const io = this.io ?? native();
    this.io = io;
    const sock = io.netlinkOpen(RTMGRP_LINK, this.rcvbuf);
    this.sock = sock;
    try {
      this.pollHandle = io.pollStart(sock.fd, this.onReadable);
    } catch (err) {
      this.stop();
      throw err;
    }
    this.resync();
  }

  /** Closes the socket; no callback follows. Known links are kept for the dump of a later start(). */
  stop(): void {
    const sock = this.sock;
    if (sock === undefined || this.io === undefined) return;
    this.sock = undefined;
    if (this.pollHandle >= 0) this.io.pollStop(this.pollHandle);
    this.pollHandle = -1;
    this.dumpSeq = 0;
    this.redump = false;
    this.io.closeFd(sock.fd);
  }

  /**
   * Dumps every link (RTM_GETLINK): each is reported again (dump: true), then the known links the dump did
   * not list are reported deleted. A resync asked for during a dump runs after it.
   */
  resync(): void {
    const sock = this.sock;
    if (sock === undefined || this.io === undefined) return;
    if (this.dumpSeq !== 0) {
      this.redump = true;
      return;
    }
    this.seq = (this.seq % 0x7fffffff) + 1;
    const v = this.requestView;
    v.setUint32(0, this.request.length, HOST_LE);
    v.setUint16(NLMSG_TYPE, RTM_GETLINK, HOST_LE);
    v.setUint16(NLMSG_FLAGS, NLM_F_REQUEST | NLM_F_DUMP, HOST_LE);
    v.setUint32(NLMSG_SEQ, this.seq, HOST_LE);
    v.setUint32(NLMSG_PID, sock.portId, HOST_LE);
    // The ifinfomsg stays zero: family AF_UNSPEC, every link.
    try {
      this.io.netlinkSend(sock.fd, this.request, this.request.length);
    } catch {
      this.stats.errors++;
      return;
    }
    this.dumpSeq = this.seq;
    this.generation++;
    this.dumpInterrupted = false;
  }

  /** Decodes one netlink datagram (the receive path's; tests feed hand-built bytes). Never throws. */
  decode(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): void {
    if (bytes === this.buf) {
      this.bytes = this.buf;
      this.view = this.bufView;
    } else {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      this.stats.malformed++;
      return;
    }
    const end = offset + length;
    let off = offset;
    while (end - off >= NLMSG_HDRLEN) {
      const len = this.view.getUint32(off, HOST_LE);
      if (len < NLMSG_HDRLEN || len > end - off) {
        this.stats.malformed++; // the rest of the datagram cannot be framed
        return;
      }
      this.message(off, len);
      off += (len + 3) & ~3;
    }
    if (off < end) this.stats.malformed++;
  }

  private readonly onReadable = (status: number): void => {
    if (status < 0) this.restartPoll();
    else this.receive();
  };

  /** Reads and decodes what is pending, a bounded number of rounds. */
  private receive(): void {
    const sock = this.sock;
    const io = this.io;
    if (sock === undefined || io === undefined) return;
    for (let round = 0; round < RECV_ROUNDS && this.sock === sock; round++) {
      let n: number;
      try {
        n = io.netlinkRecv(sock.fd, this.buf, this.lengths, MIN_ROOM);
      } catch {
        this.stats.errors++;
        return;
      }
      if (n < 0) {
        this.overrun();
        continue;
      }
      if (n === 0) return;
      let off = 0;
      for (let i = 0; i < n && this.sock === sock; i++) {
        const len = this.lengths[i];
        const room = this.buf.length - off;
        if (len > room) {
          this.stats.truncated++;
          this.decode(this.buf, off, room);
          if (this.dumpSeq === 0) this.resync();
          break;
        }
        this.decode(this.buf, off, len);
        off += len;
      }
    }
  }

  /**
   * libuv stops a poll whose descriptor reports an error: a netlink socket does when the kernel dropped
   * notifications (sk_err = ENOBUFS). Clear the error, resync, drain, and watch again.
   */
  private restartPoll(): void {
    const sock = this.sock;
    const io = this.io;
    if (sock === undefined || io === undefined) return;
    if (this.pollHandle >= 0) io.pollStop(this.pollHandle);
    this.pollHandle = -1;
    let err = 0;
    try {
      err = io.sockError(sock.fd);
    } catch {
      this.stats.errors++;
    }
    if (err === ENOBUFS) this.overrun();
    else if (err !== 0) this.stats.errors++;
    this.receive();
    if (this.sock !== sock) return;
    try {
      this.pollHandle = io.pollStart(sock.fd, this.onReadable);
    } catch {
      this.stats.errors++; // not thrown through the event loop: the monitor stops (running is false)
      this.stop();
    }
  }

  private overrun(): void {
    this.stats.overruns++;
    this.resync();
  }

  /** One message of `len` bytes at `off` (its header is inside the datagram). */
  private message(off: number, len: number): void {
    const v = this.view;
    const type = v.getUint16(off + NLMSG_TYPE, HOST_LE);
    const flags = v.getUint16(off + NLMSG_FLAGS, HOST_LE);
    const ours =
      this.dumpSeq !== 0 &&
      v.getUint32(off + NLMSG_SEQ, HOST_LE) === this.dumpSeq &&
      v.getUint32(off + NLMSG_PID, HOST_LE) === this.sock?.portId;
    if (type === RTM_NEWLINK || type === RTM_DELLINK) {
      const dump = ours && (flags & NLM_F_MULTI) !== 0;
      if (dump && (flags & NLM_F_DUMP_INTR) !== 0) this.dumpInterrupted = true;
      this.link(off, len, type === RTM_DELLINK, dump);
    } else if (type === NLMSG_DONE && ours) {
      if ((flags & NLM_F_DUMP_INTR) !== 0) this.dumpInterrupted = true;
      this.dumpDone();
    } else if (type === NLMSG_ERROR && ours) {
      // The dump was refused (an ack with error 0 is never asked for).
      this.stats.errors++;
      this.dumpSeq = 0;
      this.redump = false;
    } else {
      this.stats.ignored++; // NLMSG_NOOP, others' acks and dumps, other message types
    }
  }

  /** An RTM_NEWLINK / RTM_DELLINK message: ifinfomsg, then attributes. */
  private link(off: number, len: number, deleted: boolean, dump: boolean): void {
    const v = this.view;
    if (len < NLMSG_HDRLEN + IFINFOMSG_LEN) {
      this.stats.malformed++;
      return;
    }
    // Other families are not the device: AF_BRIDGE's RTM_DELLINK means "left its bridge", not "gone".
    if (this.bytes[off + IFI_FAMILY] !== AF_UNSPEC) {
      this.stats.ignored++;
      return;
    }
    const ifindex = v.getInt32(off + IFI_INDEX, HOST_LE);
    const flags = v.getUint32(off + IFI_FLAGS, HOST_LE);
    let nameAt = -1;
    let nameLen = 0;
    let operState = -1;
    let carrierAttr = -1;
    const end = off + len;
    let a = off + NLMSG_HDRLEN + IFINFOMSG_LEN;
    while (end - a >= RTA_HDRLEN) {
      const alen = v.getUint16(a, HOST_LE);
      const atype = v.getUint16(a + 2, HOST_LE) & NLA_TYPE_MASK;
      if (alen < RTA_HDRLEN || alen > end - a) {
        this.stats.malformed++;
        return;
      }
      const payload = a + RTA_HDRLEN;
      const plen = alen - RTA_HDRLEN;
      if (atype === IFLA_IFNAME) {
        nameAt = payload;
        nameLen = this.bytes.indexOf(0, payload);
        nameLen = nameLen < 0 || nameLen >= payload + plen ? plen : nameLen - payload;
      } else if (atype === IFLA_OPERSTATE && plen >= 1) {
        operState = this.bytes[payload];
      } else if (atype === IFLA_CARRIER && plen >= 1) {
        carrierAttr = this.bytes[payload];
      }
      a += (alen + 3) & ~3;
    }
    if (ifindex <= 0 || nameAt < 0 || nameLen === 0 || nameLen > MAX_IFNAME) {
      this.stats.malformed++;
      return;
    }
    const name = this.knownName(ifindex, nameAt, nameLen, deleted);
    const e = this.event;
    e.ifindex = ifindex;
    e.name = name;
    e.flags = flags;
    e.deleted = deleted;
    e.up = !deleted && (flags & IFF_UP) !== 0;
    e.carrier = !deleted && (flags & IFF_RUNNING) !== 0;
    e.lowerUp = !deleted && (carrierAttr >= 0 ? carrierAttr !== 0 : (flags & IFF_LOWER_UP) !== 0);
    e.operState = operState;
    e.dump = dump;
    this.stats.messages++;
    this.onLink(e);
  }

  /** The link's name, reusing the known string while the bytes match; records or forgets the link. */
  private knownName(ifindex: number, at: number, len: number, deleted: boolean): string {
    const known = this.links.get(ifindex);
    let name = known?.name;
    if (name === undefined || !this.sameName(name, at, len))
      name = this.textDecoder.decode(this.bytes.subarray(at, at + len));
    if (deleted) this.links.delete(ifindex);
    else if (known === undefined) this.links.set(ifindex, { name, generation: this.generation });
    else {
      known.name = name;
      known.generation = this.generation;
    }
    return name;
  }

  private sameName(name: string, at: number, len: number): boolean {
    if (name.length !== len) return false;
    for (let i = 0; i < len; i++) if (name.charCodeAt(i) !== this.bytes[at + i]) return false;
    return true;
  }

  /** The dump ended: report the links it did not list as deleted (unless it was interrupted), redump if asked. */
  private dumpDone(): void {
    this.dumpSeq = 0;
    this.stats.dumps++;
    // A callback may start the next dump (a new generation) while this loop runs.
    const generation = this.generation;
    if (!this.dumpInterrupted) {
      for (const [ifindex, known] of this.links) {
        if (known.generation === generation) continue;
        this.links.delete(ifindex);
        this.reportGone(ifindex, known.name);
      }
    }
    if (this.dumpInterrupted || this.redump) {
      this.redump = false;
      this.resync();
    }
  }

  private reportGone(ifindex: number, name: string): void {
    const e = this.event;
    e.ifindex = ifindex;
    e.name = name;
    e.flags = 0;
    e.deleted = true;
    e.up = false;
    e.carrier = false;
    e.lowerUp = false;
    e.operState = -1;
    e.dump = true;
    this.stats.messages++;
    this.onLink(e);
  }
}
