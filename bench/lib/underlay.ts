// The tunnel benchmark's network: the switch benchmark's Topology (hosts A and B, each a veth into the
// switch namespace) split into two "machines" joined by an underlay link, as the seed's node3 and node4.
// Machine 1 is the Topology's switch namespace, keeping swa (A's veth end); machine 2 is a new namespace
// into which swb (B's veth end) moves. eth1 joins them (10.10.10.1/24 ↔ 10.10.10.2/24, MTU 1600 so that
// a 1500-byte inner frame fits once encapsulated). Whatever tunnels A to B runs in the two machines.
import { janitor, runOk, runQuiet } from './proc.js';
import { SW_PORT_A, SW_PORT_B, type Topology } from './topology.js';

/** The underlay interface on both machines, and its addresses. */
export const UNDERLAY_DEV = 'eth1';
export const UNDERLAY_ADDR_1 = '10.10.10.1';
export const UNDERLAY_ADDR_2 = '10.10.10.2';
/** Underlay MTU: 1500 + VXLAN's 50 bytes (or GRE's 24–28) with room to spare. */
export const UNDERLAY_MTU = 1600;

/** One machine: its namespace, the veth end toward its host, its and its peer's underlay addresses. */
export interface Machine {
  readonly ns: string;
  /** The veth end of the host namespace behind this machine (swa or swb). */
  readonly hostPort: string;
  readonly addr: string;
  readonly peerAddr: string;
}

/** Two machines joined by eth1, built on a Topology; `destroy()` removes machine 2 (also on cleanup). */
export class Underlay {
  readonly m1: Machine;
  readonly m2: Machine;
  private readonly undo: () => void;

  private constructor(readonly topo: Topology) {
    this.m1 = { ns: topo.sw, hostPort: SW_PORT_A, addr: UNDERLAY_ADDR_1, peerAddr: UNDERLAY_ADDR_2 };
    this.m2 = {
      ns: topo.sw.replace(/-sw$/, '-m2'),
      hostPort: SW_PORT_B,
      addr: UNDERLAY_ADDR_2,
      peerAddr: UNDERLAY_ADDR_1,
    };
    this.undo = janitor.add('machine 2', () => runQuiet(['ip', 'netns', 'del', this.m2.ns]));
  }

  /** Makes machine 2, moves swb into it and joins the machines with eth1. */
  static async build(topo: Topology): Promise<Underlay> {
    const u = new Underlay(topo);
    const { m1, m2 } = u;
    await runOk(['ip', 'netns', 'add', m2.ns]);
    await runOk(['ip', '-n', m2.ns, 'link', 'set', 'lo', 'up']);
    for (const knob of ['all', 'default'])
      await runOk([...topo.exec(m2.ns), 'sysctl', '-qw', `net.ipv6.conf.${knob}.disable_ipv6=1`]);
    await runOk(['ip', '-n', m1.ns, 'link', 'set', m2.hostPort, 'netns', m2.ns]);
    await runOk(['ip', '-n', m2.ns, 'link', 'set', m2.hostPort, 'up']);
    await runOk([
      ...['ip', 'link', 'add', UNDERLAY_DEV, 'netns', m1.ns, 'mtu', String(UNDERLAY_MTU)],
      ...['type', 'veth', 'peer', 'name', UNDERLAY_DEV, 'netns', m2.ns, 'mtu', String(UNDERLAY_MTU)],
    ]);
    for (const m of [m1, m2]) {
      await runOk(['ip', '-n', m.ns, 'addr', 'add', `${m.addr}/24`, 'dev', UNDERLAY_DEV]);
      await runOk(['ip', '-n', m.ns, 'link', 'set', UNDERLAY_DEV, 'up']);
    }
    return u;
  }

  /** Both machines. */
  get machines(): [Machine, Machine] {
    return [this.m1, this.m2];
  }

  /** eth1's MTU on each machine, as the kernel reports it. */
  async underlayMtus(): Promise<number[]> {
    const out: number[] = [];
    for (const m of this.machines) {
      const [link] = JSON.parse(await runOk(['ip', '-n', m.ns, '-j', 'link', 'show', UNDERLAY_DEV])) as {
        mtu: number;
      }[];
      out.push(link.mtu);
    }
    return out;
  }

  /**
   * Leaves both machines as built: every link but lo, eth1 and the host's veth end is deleted (a bridge, a
   * vxlan device, TAPs a daemon left behind), the veth end is detached from any master and up. Returns
   * what was deleted.
   */
  async clear(): Promise<string[]> {
    const gone: string[] = [];
    for (const m of this.machines) {
      const links = JSON.parse(await runOk(['ip', '-n', m.ns, '-j', 'link', 'show'])) as { ifname: string }[];
      const keep = new Set(['lo', UNDERLAY_DEV, m.hostPort]);
      for (const name of links.map((l) => l.ifname).filter((n) => !keep.has(n))) {
        runQuiet(['ip', '-n', m.ns, 'link', 'del', name]);
        gone.push(`${name} (${m.ns})`);
      }
      runQuiet(['ip', '-n', m.ns, 'link', 'set', m.hostPort, 'nomaster']);
      await runOk(['ip', '-n', m.ns, 'link', 'set', m.hostPort, 'up']);
    }
    return gone;
  }

  /** Removes machine 2 (with swb and its eth1); idempotent. The Topology removes the rest. */
  destroy(): void {
    this.undo();
  }
}
