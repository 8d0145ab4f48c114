// Tests of the link monitor: the rtnetlink decoder on hand-built messages (well-formed, malformed and
// random bytes: nothing throws, everything odd is counted), the resync bookkeeping (dump on start, redump
// after ENOBUFS, links missing from a dump reported deleted) through a fake addon, and, as root, a real
// veth pair whose peer goes down, up and away.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { describe, test } from 'node:test';
import {
  IFF_LOWER_UP,
  type LinkEvent,
  LinkMonitor,
  type LinkMonitorIo,
  RTMGRP_LINK,
} from '../../src/netdev/link-monitor.js';
import { IFF_RUNNING, IFF_UP, type NetlinkSocket, native, nativeAvailable } from '../../src/netdev/native.js';
import { Lab, requireRoot } from '../helpers/netns.js';

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_MULTI = 2;
const NLM_F_DUMP_INTR = 0x10;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;
const IFLA_CARRIER = 33;
const IFLA_AF_SPEC = 26;
const NLA_F_NESTED = 0x8000;
const AF_BRIDGE = 7;
const IF_OPER_DOWN = 2;
const IF_OPER_LOWERLAYERDOWN = 3;
const IF_OPER_UP = 6;

interface Attr {
  type: number;
  data: Uint8Array;
}

const str = (s: string): Uint8Array => new Uint8Array([...Buffer.from(s), 0]);
const u8 = (n: number): Uint8Array => new Uint8Array([n]);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, LE);
  return b;
};

interface LinkMsg {
  type?: number;
  flags?: number;
  seq?: number;
  pid?: number;
  family?: number;
  ifindex: number;
  ifiFlags: number;
  attrs: Attr[];
}

/** One netlink message: nlmsghdr, ifinfomsg, rtattrs (each padded to 4 bytes), in host byte order. */
function linkMessage(m: LinkMsg): Uint8Array {
  const attrLen = m.attrs.reduce((n, a) => n + ((4 + a.data.length + 3) & ~3), 0);
  const len = 16 + 16 + attrLen;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, LE);
  v.setUint16(4, m.type ?? RTM_NEWLINK, LE);
  v.setUint16(6, m.flags ?? 0, LE);
  v.setUint32(8, m.seq ?? 0, LE);
  v.setUint32(12, m.pid ?? 0, LE);
  b[16] = m.family ?? 0;
  v.setInt32(20, m.ifindex, LE);
  v.setUint32(24, m.ifiFlags, LE);
  v.setUint32(28, 0xffffffff, LE); // ifi_change
  let off = 32;
  for (const a of m.attrs) {
    v.setUint16(off, 4 + a.data.length, LE);
    v.setUint16(off + 2, a.type, LE);
    b.set(a.data, off + 4);
    off += (4 + a.data.length + 3) & ~3;
  }
  return b;
}

/** A bare header message (NLMSG_DONE, NLMSG_ERROR) with `payload` bytes of zeros after it. */
function headerMessage(type: number, flags: number, seq: number, pid: number, payload = 4): Uint8Array {
  const b = new Uint8Array(16 + payload);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, LE);
  v.setUint16(4, type, LE);
  v.setUint16(6, flags, LE);
  v.setUint32(8, seq, LE);
  v.setUint32(12, pid, LE);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A veth's message as the kernel sends it: name, MTU, operstate, carrier, a nested attribute. */
function vethMessage(
  ifindex: number,
  name: string,
  flags: number,
  operState: number,
  carrier?: number,
): Uint8Array {
  const attrs: Attr[] = [
    { type: IFLA_IFNAME, data: str(name) },
    { type: IFLA_MTU, data: u32(1500) },
    { type: IFLA_OPERSTATE, data: u8(operState) },
    { type: IFLA_AF_SPEC | NLA_F_NESTED, data: new Uint8Array(8) },
  ];
  if (carrier !== undefined) attrs.push({ type: IFLA_CARRIER, data: u8(carrier) });
  return linkMessage({ ifindex, ifiFlags: flags, attrs });
}

/** A monitor that keeps a copy of every event (the monitor reuses its event object). */
function recording(options?: ConstructorParameters<typeof LinkMonitor>[1]): {
  monitor: LinkMonitor;
  events: LinkEvent[];
} {
  const events: LinkEvent[] = [];
  const monitor = new LinkMonitor((e) => events.push({ ...e }), options);
  return { monitor, events };
}

describe('LinkMonitor decoder', () => {
  test('RTM_NEWLINK: name, admin state, carrier, operstate, IFLA_CARRIER', () => {
    const { monitor, events } = recording();
    monitor.decode(vethMessage(7, 'veth0', IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x1000, IF_OPER_UP, 1));
    assert.deepEqual(events, [
      {
        ifindex: 7,
        name: 'veth0',
        up: true,
        carrier: true,
        lowerUp: true,
        operState: IF_OPER_UP,
        flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x1000,
        deleted: false,
        dump: false,
      },
    ]);
    assert.equal(monitor.stats.messages, 1);
    assert.equal(monitor.stats.malformed, 0);
  });

  test('peer down: up without IFF_RUNNING is no carrier; IFLA_CARRIER absent falls back to IFF_LOWER_UP', () => {
    const { monitor, events } = recording();
    monitor.decode(vethMessage(7, 'veth0', IFF_UP, IF_OPER_LOWERLAYERDOWN));
    monitor.decode(vethMessage(7, 'veth0', 0, IF_OPER_DOWN, 1)); // admin down, cable still in
    assert.deepEqual(
      events.map((e) => [e.up, e.carrier, e.lowerUp, e.operState]),
      [
        [true, false, false, IF_OPER_LOWERLAYERDOWN],
        [false, false, true, IF_OPER_DOWN],
      ],
    );
  });

  test('RTM_DELLINK reports deleted, never up or carrier', () => {
    const { monitor, events } = recording();
    monitor.decode(
      linkMessage({
        type: RTM_DELLINK,
        ifindex: 9,
        ifiFlags: IFF_UP | IFF_RUNNING,
        attrs: [{ type: IFLA_IFNAME, data: str('gone0') }],
      }),
    );
    assert.equal(events.length, 1);
    assert.equal(events[0].deleted, true);
    assert.equal(events[0].up, false);
    assert.equal(events[0].carrier, false);
    assert.equal(events[0].name, 'gone0');
    assert.equal(events[0].operState, -1);
  });

  test('several messages in one datagram, and a datagram inside a larger buffer', () => {
    const { monitor, events } = recording();
    const a = vethMessage(3, 'a', IFF_UP, IF_OPER_UP); // 1-byte name: padded attributes
    const b = vethMessage(4, 'bb-longer-name', IFF_UP | IFF_RUNNING, IF_OPER_UP);
    const junk = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const all = concat(junk, a, b, junk);
    monitor.decode(all, junk.length, a.length + b.length);
    assert.deepEqual(
      events.map((e) => [e.ifindex, e.name, e.carrier]),
      [
        [3, 'a', false],
        [4, 'bb-longer-name', true],
      ],
    );
    assert.equal(monitor.stats.malformed, 0);
  });

  test('a renamed link reports its new name', () => {
    const { monitor, events } = recording();
    monitor.decode(vethMessage(5, 'old', IFF_UP, IF_OPER_UP));
    monitor.decode(vethMessage(5, 'old', IFF_UP, IF_OPER_UP));
    monitor.decode(vethMessage(5, 'new', IFF_UP, IF_OPER_UP));
    assert.deepEqual(
      events.map((e) => e.name),
      ['old', 'old', 'new'],
    );
  });

  test('malformed messages are counted, never thrown, and what came before them is kept', () => {
    const good = vethMessage(2, 'ok0', IFF_UP, IF_OPER_UP);
    const cases: [string, Uint8Array][] = [
      [
        'nlmsg_len below the header',
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setUint32(0, 8, LE);
          return b;
        })(),
      ],
      [
        'nlmsg_len past the datagram',
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setUint32(0, b.length + 4, LE);
          return b;
        })(),
      ],
      ['no room for the ifinfomsg', headerMessage(RTM_NEWLINK, 0, 0, 0, 8)],
      [
        'rta_len below its header',
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setUint16(32, 2, LE);
          return b;
        })(),
      ],
      [
        'rta_len past the message',
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setUint16(32, 400, LE);
          return b;
        })(),
      ],
      [
        'no IFLA_IFNAME',
        linkMessage({ ifindex: 2, ifiFlags: IFF_UP, attrs: [{ type: IFLA_OPERSTATE, data: u8(6) }] }),
      ],
      [
        'empty name',
        linkMessage({ ifindex: 2, ifiFlags: IFF_UP, attrs: [{ type: IFLA_IFNAME, data: str('') }] }),
      ],
      [
        'name longer than IFNAMSIZ-1',
        linkMessage({
          ifindex: 2,
          ifiFlags: IFF_UP,
          attrs: [{ type: IFLA_IFNAME, data: str('x'.repeat(16)) }],
        }),
      ],
      [
        'ifindex 0',
        linkMessage({ ifindex: 0, ifiFlags: IFF_UP, attrs: [{ type: IFLA_IFNAME, data: str('z') }] }),
      ],
      ['a trailing fragment', new Uint8Array(6)],
    ];
    for (const [what, bad] of cases) {
      const { monitor, events } = recording();
      assert.doesNotThrow(() => monitor.decode(concat(good, bad)), what);
      assert.equal(monitor.stats.malformed, 1, what);
      assert.deepEqual(
        events.map((e) => e.name),
        ['ok0'],
        what,
      );
    }
    const { monitor } = recording();
    monitor.decode(good, 10, good.length); // a range past the bytes
    assert.equal(monitor.stats.malformed, 1);
  });

  test("other families, other types and others' dumps are ignored", () => {
    const { monitor, events } = recording();
    // The Linux bridge's "port left its bridge": RTM_DELLINK in family AF_BRIDGE, the device lives on.
    monitor.decode(
      linkMessage({
        type: RTM_DELLINK,
        family: AF_BRIDGE,
        ifindex: 4,
        ifiFlags: IFF_UP,
        attrs: [{ type: IFLA_IFNAME, data: str('port0') }],
      }),
    );
    monitor.decode(headerMessage(NLMSG_DONE, NLM_F_MULTI, 1, 1234));
    monitor.decode(headerMessage(NLMSG_ERROR, 0, 1, 1234, 20));
    monitor.decode(headerMessage(24 /* RTM_NEWROUTE */, 0, 0, 0, 12));
    assert.deepEqual(events, []);
    assert.equal(monitor.stats.ignored, 4);
    assert.equal(monitor.stats.malformed, 0);
  });

  test('random bytes and every truncation of real messages never throw', () => {
    const { monitor } = recording();
    const msg = concat(
      vethMessage(2, 'veth-fuzz', IFF_UP | IFF_RUNNING, IF_OPER_UP, 1),
      vethMessage(3, 'b', 0, 2),
    );
    for (let cut = 0; cut <= msg.length; cut++) monitor.decode(msg, 0, cut);
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    for (let i = 0; i < 2000; i++) {
      const b = msg.slice();
      for (let j = 0; j < 4; j++) b[rand() % b.length] = rand() & 0xff;
      monitor.decode(b);
    }
    const noise = new Uint8Array(512);
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < noise.length; j++) noise[j] = rand() & 0xff;
      monitor.decode(noise, 0, rand() % noise.length);
    }
    assert.ok(monitor.stats.malformed > 0);
  });
});

/** A stand-in for the addon: datagrams queued by the test come out of netlinkRecv as the C code does it. */
class FakeIo implements LinkMonitorIo {
  readonly sock: NetlinkSocket = { fd: 42, portId: 4242 };
  readonly sent: Uint8Array[] = [];
  readonly queue: (Uint8Array | 'ENOBUFS')[] = [];
  onReadable: ((status: number) => void) | undefined;
  pendingError = 0;
  closed = false;
  polls = 0;

  netlinkOpen(groups: number): NetlinkSocket {
    assert.equal(groups, RTMGRP_LINK);
    return this.sock;
  }
  netlinkRecv(_fd: number, buf: Uint8Array, lengths: Uint32Array, minRoom: number): number {
    let used = 0;
    let count = 0;
    while (count < lengths.length && buf.length - used >= minRoom && this.queue.length > 0) {
      const d = this.queue.shift()!;
      if (d === 'ENOBUFS') return -1;
      buf.set(d.subarray(0, buf.length - used), used);
      lengths[count++] = d.length;
      if (d.length > buf.length - used) break;
      used += d.length;
    }
    return count;
  }
  netlinkSend(_fd: number, buf: Uint8Array, length: number): void {
    this.sent.push(buf.slice(0, length));
  }
  pollStart(_fd: number, onReadable: (status: number) => void): number {
    this.onReadable = onReadable;
    this.polls++;
    return 1;
  }
  pollStop(): void {
    this.onReadable = undefined;
  }
  closeFd(): void {
    this.closed = true;
  }
  sockError(): number {
    const e = this.pendingError;
    this.pendingError = 0;
    return e;
  }

  /** The sequence number of the last dump request (after checking that it is one). */
  lastDumpSeq(): number {
    const req = this.sent.at(-1)!;
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    assert.equal(v.getUint32(0, LE), req.length);
    assert.equal(v.getUint16(4, LE), RTM_GETLINK);
    assert.equal(v.getUint16(6, LE), 0x301); // NLM_F_REQUEST | NLM_F_DUMP
    assert.equal(v.getUint32(12, LE), this.sock.portId);
    return v.getUint32(8, LE);
  }

  /** Queues the kernel's reply to dump `seq`: one datagram of links, then NLMSG_DONE. */
  replyToDump(seq: number, links: [number, string, number][], flags = 0): void {
    const msgs = links.map(([ifindex, name, ifiFlags]) =>
      linkMessage({
        flags: NLM_F_MULTI | flags,
        seq,
        pid: this.sock.portId,
        ifindex,
        ifiFlags,
        attrs: [{ type: IFLA_IFNAME, data: str(name) }],
      }),
    );
    this.queue.push(concat(...msgs), headerMessage(NLMSG_DONE, NLM_F_MULTI | flags, seq, this.sock.portId));
  }

  readable(status = 0): void {
    assert.ok(this.onReadable, 'polling');
    this.onReadable(status);
  }
}

describe('LinkMonitor resync', () => {
  test('start dumps every link; a link missing from a later dump is reported deleted', () => {
    const io = new FakeIo();
    const { monitor, events } = recording({ io });
    monitor.start();
    assert.equal(monitor.running, true);
    assert.equal(io.sent.length, 1);
    io.replyToDump(io.lastDumpSeq(), [
      [1, 'lo', IFF_UP | IFF_RUNNING],
      [5, 'veth5', IFF_UP],
    ]);
    io.readable();
    assert.deepEqual(
      events.map((e) => [e.name, e.dump, e.deleted]),
      [
        ['lo', true, false],
        ['veth5', true, false],
      ],
    );
    assert.equal(monitor.stats.dumps, 1);

    events.length = 0;
    monitor.resync();
    io.replyToDump(io.lastDumpSeq(), [[1, 'lo', IFF_UP | IFF_RUNNING]]);
    io.readable();
    assert.deepEqual(
      events.map((e) => [e.ifindex, e.name, e.deleted, e.up, e.carrier]),
      [
        [1, 'lo', false, true, true],
        [5, 'veth5', true, false, false],
      ],
    );
    monitor.stop();
    assert.equal(io.closed, true);
    assert.equal(monitor.running, false);
  });

  test('ENOBUFS from recv redumps; a link that appeared during the dump is not swept', () => {
    const io = new FakeIo();
    const { monitor, events } = recording({ io });
    monitor.start();
    io.replyToDump(io.lastDumpSeq(), [[5, 'veth5', IFF_UP]]);
    io.readable();
    events.length = 0;
    io.queue.push('ENOBUFS');
    io.readable();
    assert.equal(monitor.stats.overruns, 1);
    assert.equal(io.sent.length, 2);
    // A notification arrives between the dump's start and its end; the dump itself missed that link.
    io.queue.push(vethMessage(8, 'new8', IFF_UP | IFF_RUNNING, IF_OPER_UP));
    io.replyToDump(io.lastDumpSeq(), [[5, 'veth5', IFF_UP | IFF_RUNNING]]);
    io.readable();
    assert.deepEqual(
      events.map((e) => [e.name, e.carrier, e.deleted, e.dump]),
      [
        ['new8', true, false, false],
        ['veth5', true, false, true],
      ],
    );
  });

  test('an overrun during a dump, or an interrupted dump, dumps again once it ends', () => {
    const io = new FakeIo();
    const { monitor, events } = recording({ io });
    monitor.start();
    const first = io.lastDumpSeq();
    io.queue.push('ENOBUFS');
    io.readable();
    assert.equal(io.sent.length, 1, 'no second dump while one runs');
    io.replyToDump(first, [[5, 'veth5', IFF_UP]]);
    io.readable();
    assert.equal(io.sent.length, 2, 'dumped again after the first ended');
    const second = io.lastDumpSeq();
    assert.notEqual(second, first);
    io.replyToDump(second, [[6, 'veth6', IFF_UP]], NLM_F_DUMP_INTR);
    io.readable();
    // Interrupted: veth5 is not swept on its word, and a third dump runs.
    assert.equal(events.filter((e) => e.deleted).length, 0);
    assert.equal(io.sent.length, 3);
    io.replyToDump(io.lastDumpSeq(), [[6, 'veth6', IFF_UP]]);
    io.readable();
    assert.deepEqual(
      events.filter((e) => e.deleted).map((e) => e.name),
      ['veth5'],
    );
    assert.equal(monitor.stats.dumps, 3);
  });

  test('a refused dump is counted; a poll error with ENOBUFS pending resyncs and polls again', () => {
    const io = new FakeIo();
    const { monitor } = recording({ io });
    monitor.start();
    io.queue.push(headerMessage(NLMSG_ERROR, 0, io.lastDumpSeq(), io.sock.portId, 20));
    io.readable();
    assert.equal(monitor.stats.errors, 1);
    io.pendingError = constants.errno.ENOBUFS;
    io.readable(-9); // UV_EBADF: libuv saw POLLERR and stopped the poll
    assert.equal(monitor.stats.overruns, 1);
    assert.equal(io.sent.length, 2);
    assert.equal(io.polls, 2);
    assert.ok(io.onReadable, 'polling again');
  });

  test('a datagram longer than the buffer is counted as truncated and resyncs', () => {
    const io = new FakeIo();
    const { monitor, events } = recording({ io });
    monitor.start();
    io.replyToDump(io.lastDumpSeq(), []);
    io.readable();
    const big = vethMessage(3, 'big', IFF_UP, IF_OPER_UP);
    const huge = new Uint8Array(70000);
    huge.set(big);
    new DataView(huge.buffer).setUint32(big.length, huge.length - big.length, LE); // one message filling the rest
    io.queue.push(huge);
    io.readable();
    assert.equal(monitor.stats.truncated, 1);
    assert.deepEqual(
      events.map((e) => e.name),
      ['big'],
    );
    assert.equal(io.sent.length, 2);
  });
});

// Under CI the addon must have been built; elsewhere a missing build skips.
const skip = nativeAvailable() || process.env.CI === 'true' ? false : 'native addon not built (npm install)';

describe('netlink functions of the addon', { skip }, () => {
  test('open, dump the links, receive, close; bad arguments are RangeErrors; a bad fd names the call', () => {
    const nat = native();
    const sock = nat.netlinkOpen(RTMGRP_LINK, 0);
    try {
      assert.ok(sock.fd > 2 && sock.portId > 0, JSON.stringify(sock));
      const buf = new Uint8Array(65536);
      const lengths = new Uint32Array(8);
      assert.equal(nat.netlinkRecv(sock.fd, buf, lengths, 32768), 0, 'nothing pending');
      const req = new Uint8Array(32);
      const v = new DataView(req.buffer);
      v.setUint32(0, 32, LE);
      v.setUint16(4, RTM_GETLINK, LE);
      v.setUint16(6, 0x301, LE);
      v.setUint32(8, 77, LE);
      nat.netlinkSend(sock.fd, req, req.length);
      // The kernel makes a dump's first datagram while sending the request, the next ones as they are read.
      const n = nat.netlinkRecv(sock.fd, buf, lengths, 32768);
      assert.ok(n >= 1);
      const dv = new DataView(buf.buffer);
      assert.equal(dv.getUint16(4, LE), RTM_NEWLINK);
      assert.equal(dv.getUint32(8, LE), 77);
      assert.equal(dv.getUint32(12, LE), sock.portId);
      const isEinval = (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'EINVAL';
      assert.throws(() => nat.netlinkRecv(sock.fd, buf, lengths, 0), isEinval);
      assert.throws(() => nat.netlinkRecv(sock.fd, buf, lengths, buf.length + 1), isEinval);
      assert.throws(
        () => nat.netlinkRecv(sock.fd, new Uint16Array(8) as unknown as Uint8Array, lengths, 4),
        isEinval,
      );
      assert.throws(() => nat.netlinkSend(sock.fd, req, 33), isEinval);
      assert.throws(() => nat.netlinkSend(sock.fd, req, 0), isEinval);
    } finally {
      nat.closeFd(sock.fd);
    }
    assert.throws(
      () => native().netlinkRecv(1_000_000, new Uint8Array(4096), new Uint32Array(1), 4096),
      (e: NodeJS.ErrnoException) => e.code === 'EBADF' && e.message.startsWith('recv(AF_NETLINK) on fd'),
    );
  });
});

/** Events of a live monitor, copied, with a way to await one that matches. */
class EventLog {
  readonly events: LinkEvent[] = [];
  private waiters: { match: (e: LinkEvent) => boolean; resolve: (e: LinkEvent) => void }[] = [];

  readonly record = (e: Readonly<LinkEvent>): void => {
    const copy = { ...e };
    this.events.push(copy);
    for (const w of this.waiters.filter((w) => w.match(copy))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(copy);
    }
  };

  /** The first event from now on that matches, or a rejection naming `what` after `timeoutMs`. */
  next(what: string, match: (e: LinkEvent) => boolean, timeoutMs = 5000): Promise<LinkEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.match !== match);
        reject(new Error(`no link event "${what}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

/** Runs `ip ARGS…` without blocking the event loop (so the monitor hears the change meanwhile). */
function ipAsync(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ip ${args.join(' ')}: ${stderr}`)),
    );
  });
}

describe('LinkMonitor on a real veth pair', { skip }, () => {
  test('peer down, peer up, deleted: each reported at once', async (t) => {
    if (!requireRoot(t)) return;
    const lab = new Lab();
    const log = new EventLog();
    const monitor = new LinkMonitor(log.record);
    try {
      const [ours, peer] = lab.veth('lmon', null, 'lmop', null);
      monitor.start();
      const initial = await log.next('initial carrier', (e) => e.name === ours && e.carrier);
      assert.equal(initial.up, true);

      const down = log.next('carrier lost', (e) => e.name === ours && !e.carrier);
      const t0 = performance.now();
      await ipAsync('link', 'set', peer, 'down');
      const lost = await down;
      t.diagnostic(`carrier loss reported ${(performance.now() - t0).toFixed(1)} ms after ip was started`);
      assert.equal(lost.up, true, 'our end stays administratively up');
      assert.equal(lost.deleted, false);
      assert.equal(lost.ifindex, initial.ifindex);

      const back = log.next('carrier back', (e) => e.name === ours && e.carrier);
      await ipAsync('link', 'set', peer, 'up');
      assert.equal((await back).up, true);

      const gone = log.next('deleted', (e) => e.name === ours && e.deleted);
      await ipAsync('link', 'del', ours);
      const del = await gone;
      assert.equal(del.ifindex, initial.ifindex);
      assert.equal(del.carrier, false);
      assert.equal(monitor.stats.malformed, 0);
    } finally {
      monitor.stop();
      await lab.cleanup();
    }
  });

  test('with a tiny receive buffer, dropped notifications are recovered by a resync', async (t) => {
    if (!requireRoot(t)) return;
    const lab = new Lab();
    const log = new EventLog();
    const monitor = new LinkMonitor(log.record, { rcvbuf: 1 }); // the kernel's minimum: about two messages
    try {
      const [ours, peer] = lab.veth('lmov', null, 'lmop', null);
      const [other] = lab.veth('lmox', null, 'lmoy', null);
      monitor.start();
      await log.next('initial state', (e) => e.name === ours && e.carrier);
      // While the event loop is blocked nobody reads: the queue overflows.
      for (let i = 0; i < 4; i++) {
        execFileSync('ip', ['link', 'set', peer, 'down']);
        execFileSync('ip', ['link', 'set', peer, 'up']);
      }
      execFileSync('ip', ['link', 'set', peer, 'down']);
      execFileSync('ip', ['link', 'del', other]);
      await Promise.all([
        log.next('final state', (e) => e.name === ours && !e.carrier && e.dump),
        log.next('deleted', (e) => e.name === other && e.deleted),
      ]);
      assert.ok(monitor.stats.overruns >= 1, `overruns: ${monitor.stats.overruns}`);
    } finally {
      monitor.stop();
      await lab.cleanup();
    }
  });
});
