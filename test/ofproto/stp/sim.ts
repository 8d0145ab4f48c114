// A simulated network of Stp engines for tests: bridges joined by point-to-point links in memory, a fake
// clock, and a queue that carries every sent BPDU through the real wire codec to the peer port.
import { type Bpdu, encodeStpFrame, isStpParseError, parseStpFrame } from '../../../src/ofproto/stp/bpdu.js';
import { Stp, type StpOptions } from '../../../src/ofproto/stp/stp.js';

/** One end of a link: a bridge name and its STP port number. */
export interface End {
  bridge: string;
  port: number;
}

/** A link between two bridge ports; `up` false drops frames (a silent failure, carrier still up). */
export interface Link {
  a: End;
  b: End;
  up: boolean;
}

interface Frame {
  to: End;
  bytes: Uint8Array;
}

/** Bridges, links and the clock; BPDUs are delivered after each tick, in order, until none is left. */
export class SimNetwork {
  now = 0;
  readonly bridges = new Map<string, Stp>();
  readonly links: Link[] = [];
  /** Every BPDU sent, with the time and sender, for assertions. */
  readonly sent: Array<{ at: number; from: End; bpdu: Bpdu }> = [];
  private readonly queue: Frame[] = [];

  /** Adds bridge `name` with id `bridgeId` (and optional timers). */
  addBridge(name: string, bridgeId: bigint, options: Partial<StpOptions> = {}): Stp {
    const stp = new Stp({
      bridgeId,
      now: this.now,
      sendBpdu: (port, bpdu) => this.transmit({ bridge: name, port }, bpdu),
      ...options,
    });
    this.bridges.set(name, stp);
    return stp;
  }

  /** The bridge called `name`. */
  bridge(name: string): Stp {
    const stp = this.bridges.get(name);
    if (!stp) throw new Error(`no bridge ${name}`);
    return stp;
  }

  /** Connects "A.1" to "B.1", adding both STP ports if they are missing. */
  connect(a: string, b: string): Link {
    const link: Link = { a: parseEnd(a), b: parseEnd(b), up: true };
    for (const end of [link.a, link.b]) {
      const stp = this.bridge(end.bridge);
      if (!stp.hasPort(end.port)) stp.addPort(end.port, { name: `${end.bridge.toLowerCase()}${end.port}` });
    }
    this.links.push(link);
    return link;
  }

  /** Runs the clock forward by `ms` in `step` ms steps, ticking every bridge and delivering BPDUs. */
  run(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + step);
      for (const stp of this.bridges.values()) stp.tick(this.now);
      this.deliver();
    }
  }

  /** Runs until `done()` holds, at most `limit` ms; returns the time taken. */
  runUntil(done: () => boolean, limit: number, step = 100): number {
    const start = this.now;
    while (!done()) {
      if (this.now - start >= limit) throw new Error(`condition not met within ${limit} ms`);
      this.run(step, step);
    }
    return this.now - start;
  }

  /** Puts raw bytes on the wire towards `to` (for malformed frames). */
  inject(to: End, bytes: Uint8Array): void {
    this.queue.push({ to, bytes });
    this.deliver();
  }

  /** Delivers queued frames: parse, then receiveBpdu, or countError for a malformed one. */
  deliver(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      if (guard > 100000) throw new Error('BPDU storm in the simulation');
      const frame = this.queue.shift() as Frame;
      const stp = this.bridge(frame.to.bridge);
      const bpdu = parseStpFrame(frame.bytes, 0, frame.bytes.length);
      if (isStpParseError(bpdu)) stp.countError(frame.to.port);
      else stp.receiveBpdu(frame.to.port, bpdu, this.now);
    }
  }

  private transmit(from: End, bpdu: Bpdu): void {
    this.sent.push({ at: this.now, from, bpdu });
    const link = this.links.find((l) => sameEnd(l.a, from) || sameEnd(l.b, from));
    if (!link?.up) return;
    const to = sameEnd(link.a, from) ? link.b : link.a;
    this.queue.push({ to, bytes: encodeStpFrame(fakeMac(from), bpdu) });
  }
}

/** "B.2" → { bridge: 'B', port: 2 }. */
export function parseEnd(text: string): End {
  const [bridge, port] = text.split('.');
  return { bridge, port: Number(port) };
}

function sameEnd(x: End, y: End): boolean {
  return x.bridge === y.bridge && x.port === y.port;
}

function fakeMac(end: End): string {
  const code = end.bridge.charCodeAt(0) & 0xff;
  return `02:00:00:00:${code.toString(16).padStart(2, '0')}:${end.port.toString(16).padStart(2, '0')}`;
}

/** The bridge id priority.MAC, e.g. stpId(0x8000, 1) = 8000.000000000001. */
export function stpId(priority: number, mac: number): bigint {
  return (BigInt(priority) << 48n) | BigInt(mac);
}
