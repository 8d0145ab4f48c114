// An in-memory network of Rstp bridges for tests: links deliver every sent BPDU (through the wire codec)
// to the peer port, and a fake clock drives the timers in milliseconds of test time.
import { type Bpdu, encodeRstpFrame, parseRstpFrame } from '../../../src/ofproto/rstp/bpdu.js';
import { Rstp, type RstpOptions, type RstpPortOptions } from '../../../src/ofproto/rstp/rstp.js';

/** One end of a link: bridge name and port number. */
export interface End {
  bridge: string;
  port: number;
}

/** A cable between two bridge ports. */
export interface Link {
  a: End;
  b: End;
  up: boolean;
}

interface InFlight {
  to: End;
  frame: Uint8Array;
}

/** A BPDU as sent, for assertions. */
export interface SentBpdu {
  from: End;
  at: number;
  bpdu: Bpdu;
}

/** Bridges wired in memory with a shared fake clock. */
export class SimNetwork {
  now = 0;
  readonly bridges = new Map<string, Rstp>();
  readonly links: Link[] = [];
  readonly sent: SentBpdu[] = [];
  readonly flushes: End[] = [];
  private readonly queue: InFlight[] = [];

  /** Adds a bridge whose id is priority << 48 | mac. */
  addBridge(name: string, mac: number, extra: Partial<RstpOptions> = {}): Rstp {
    const priority = 32768n;
    const rstp = new Rstp({
      bridgeId: (priority << 48n) | BigInt(mac),
      name,
      now: this.now,
      sendBpdu: (port, bpdu) => this.send({ bridge: name, port }, bpdu, mac),
      flushFdb: (port) => this.flushes.push({ bridge: name, port }),
      ...extra,
    });
    this.bridges.set(name, rstp);
    return rstp;
  }

  /** The bridge called `name`. */
  get(name: string): Rstp {
    const b = this.bridges.get(name);
    if (!b) throw new Error(`no bridge ${name}`);
    return b;
  }

  /** Cables two ports together, adding them to their bridges. */
  connect(a: End, b: End, options: RstpPortOptions = {}): Link {
    const link = { a, b, up: true };
    this.links.push(link);
    this.get(a.bridge).addPort(a.port, { name: `${a.bridge}-p${a.port}`, ...options });
    this.get(b.bridge).addPort(b.port, { name: `${b.bridge}-p${b.port}`, ...options });
    this.drain();
    return link;
  }

  /** Unplugs a cable: both ports see carrier loss. */
  cut(link: Link): void {
    link.up = false;
    this.get(link.a.bridge).setPortEnabled(link.a.port, false);
    this.get(link.b.bridge).setPortEnabled(link.b.port, false);
    this.drain();
  }

  /** Plugs a cable back in. */
  restore(link: Link): void {
    link.up = true;
    this.get(link.a.bridge).setPortEnabled(link.a.port, true);
    this.get(link.b.bridge).setPortEnabled(link.b.port, true);
    this.drain();
  }

  /** Advances the clock by `ms` in steps, ticking every bridge and delivering BPDUs at each step. */
  advance(ms: number, step = 10): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      for (const b of this.bridges.values()) b.tick(this.now);
      this.drain();
    }
  }

  /** Delivers every queued BPDU (and those they provoke) at the current time. */
  drain(): void {
    for (let n = 0; this.queue.length > 0; n++) {
      if (n > 100_000) throw new Error('BPDU storm in simulation');
      const { to, frame } = this.queue.shift()!;
      this.get(to.bridge).receiveFrame(to.port, frame, 0, frame.length, this.now);
    }
  }

  private peer(from: End): End | undefined {
    for (const l of this.links) {
      if (!l.up) continue;
      if (l.a.bridge === from.bridge && l.a.port === from.port) return l.b;
      if (l.b.bridge === from.bridge && l.b.port === from.port) return l.a;
    }
    return undefined;
  }

  private send(from: End, bpdu: Bpdu, mac: number): void {
    this.sent.push({ from, at: this.now, bpdu });
    const to = this.peer(from);
    const frame = encodeRstpFrame(mac, bpdu);
    const check = parseRstpFrame(frame, 0, frame.length);
    if (check.type === 'error') throw new Error(`sent an unparsable BPDU: ${check.message}`);
    if (to) this.queue.push({ to, frame });
  }
}

/** The seed's triangle: br1-br2 (p1-p1), br2-br3 (p2-p1), br3-br1 (p2-p2); br1 has the lowest id. */
export function triangle(): { net: SimNetwork; l12: Link; l23: Link; l31: Link } {
  const net = new SimNetwork();
  net.addBridge('br1', 0x0000_0000_0001);
  net.addBridge('br2', 0x0000_0000_0002);
  net.addBridge('br3', 0x0000_0000_0003);
  const l12 = net.connect({ bridge: 'br1', port: 1 }, { bridge: 'br2', port: 1 });
  const l23 = net.connect({ bridge: 'br2', port: 2 }, { bridge: 'br3', port: 1 });
  const l31 = net.connect({ bridge: 'br3', port: 2 }, { bridge: 'br1', port: 2 });
  return { net, l12, l23, l31 };
}

/** "role/state" of every port of every bridge, for readable assertions. */
export function snapshot(net: SimNetwork): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, b] of net.bridges) {
    for (const p of b.portNumbers()) out[`${name}.${p}`] = `${b.portRole(p)}/${b.portState(p)}`;
  }
  return out;
}
