// The switch benchmark's network, built once per run: hosts A and B (network namespaces) each with a
// veth whose other end (swa, swb) sits in a third namespace, the switch's, where the Linux bridge, Open
// vSwitch and tsovs take turns. Owns the names, the addresses, offload switching and the packet counters.
import { readFileSync, statSync } from 'node:fs';
import { janitor, launch, runOk, runQuiet, waitUntil } from './proc.js';

/** Host A's and B's addresses, on one /24. */
export const ADDR_A = '10.77.0.1';
export const ADDR_B = '10.77.0.2';
/** Fixed MACs (locally administered) so frames can be written before the hosts exist. */
export const MAC_A = '02:00:0a:4d:00:01';
export const MAC_B = '02:00:0a:4d:00:02';
/** The hosts' interfaces (each in its own namespace) and the switch-side ends, in the switch namespace. */
export const DEV_A = 'a0';
export const DEV_B = 'b0';
export const SW_PORT_A = 'swa';
export const SW_PORT_B = 'swb';

/** A host's interface counters, as /proc/net/dev reports them inside its namespace. */
export interface Counters {
  rxPackets: number;
  txPackets: number;
}

/** The three namespaces and their links; `destroy()` removes them (also registered with the janitor). */
export class Topology {
  /** Namespace names: host A, host B, the switch. */
  readonly a: string;
  readonly b: string;
  readonly sw: string;
  /** A process parked in each host namespace, through whose /proc entry its counters are read. */
  private readonly anchors = new Map<string, number>();
  private readonly undo: () => void;

  private constructor(tag: string) {
    this.a = `tsb-${tag}-a`;
    this.b = `tsb-${tag}-b`;
    this.sw = `tsb-${tag}-sw`;
    this.undo = janitor.add('namespaces', () => this.removeNamespaces());
  }

  /** Builds the namespaces, veths, addresses and static neighbours. */
  static async build(): Promise<Topology> {
    const t = new Topology(process.pid.toString(36));
    for (const ns of [t.a, t.b, t.sw]) {
      await runOk(['ip', 'netns', 'add', ns]);
      await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      // No IPv6 chatter (router solicitations, DAD) in the packet counts.
      await runOk([...t.exec(ns), 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
      await runOk([...t.exec(ns), 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    await t.host(t.a, DEV_A, SW_PORT_A, MAC_A, ADDR_A, ADDR_B, MAC_B);
    await t.host(t.b, DEV_B, SW_PORT_B, MAC_B, ADDR_B, ADDR_A, MAC_A);
    for (const ns of [t.a, t.b]) await t.anchor(ns);
    return t;
  }

  /** argv prefix that runs a program inside namespace `ns`. */
  exec(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns];
  }

  /** One host: its veth to the switch namespace, MAC, address and a permanent neighbour for its peer. */
  private async host(
    ns: string,
    dev: string,
    swPort: string,
    mac: string,
    addr: string,
    peerAddr: string,
    peerMac: string,
  ): Promise<void> {
    await runOk([
      'ip',
      'link',
      'add',
      swPort,
      'netns',
      this.sw,
      'type',
      'veth',
      'peer',
      'name',
      dev,
      'netns',
      ns,
    ]);
    await runOk(['ip', '-n', ns, 'link', 'set', dev, 'address', mac]);
    await runOk(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
    await runOk(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    await runOk(['ip', '-n', this.sw, 'link', 'set', swPort, 'up']);
    await runOk([
      'ip',
      '-n',
      ns,
      'neigh',
      'replace',
      peerAddr,
      'lladdr',
      peerMac,
      'dev',
      dev,
      'nud',
      'permanent',
    ]);
  }

  /** Parks a `sleep` in `ns` and waits until it has entered the namespace. */
  private async anchor(ns: string): Promise<void> {
    const { child } = launch([...this.exec(ns), 'sleep', 'infinity']);
    const pid = child.pid as number;
    const want = statSync(`/run/netns/${ns}`).ino;
    await waitUntil(
      () => {
        try {
          return statSync(`/proc/${pid}/ns/net`).ino === want;
        } catch {
          return false;
        }
      },
      5000,
      `a process in ${ns}`,
    );
    this.anchors.set(ns, pid);
  }

  /** The counters of `dev` in host namespace `ns` (from /proc/<pid>/net/dev of the parked process). */
  counters(ns: string, dev: string): Counters {
    const pid = this.anchors.get(ns);
    if (pid === undefined) throw new Error(`no process parked in ${ns}`);
    const line = readFileSync(`/proc/${pid}/net/dev`, 'utf8')
      .split('\n')
      .find((l) => l.trimStart().startsWith(`${dev}:`));
    if (line === undefined) throw new Error(`${dev} not found in ${ns}`);
    const f = line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets …
    return { rxPackets: f[1], txPackets: f[9] };
  }

  /** Turns transmit checksum offload (and with it TSO) on or off on both hosts' veths. */
  async setTxOffload(on: boolean): Promise<void> {
    for (const [ns, dev] of [
      [this.a, DEV_A],
      [this.b, DEV_B],
    ]) {
      await runOk([...this.exec(ns), 'ethtool', '-K', dev, 'tx', on ? 'on' : 'off']);
    }
  }

  /** `ethtool -k` of both hosts' veths: to check that offloads were restored. */
  async offloadState(): Promise<string> {
    const a = await runOk([...this.exec(this.a), 'ethtool', '-k', DEV_A]);
    const b = await runOk([...this.exec(this.b), 'ethtool', '-k', DEV_B]);
    return `${a}\n${b}`;
  }

  /**
   * Leaves the switch namespace as built: every link except lo and the two veth ends is deleted (a bridge,
   * TAP devices a daemon left behind), and the veth ends are detached from any master and up.
   */
  async clearSwitchNamespace(): Promise<string[]> {
    const links = JSON.parse(await runOk(['ip', '-n', this.sw, '-j', 'link', 'show'])) as {
      ifname: string;
    }[];
    const extra = links.map((l) => l.ifname).filter((n) => n !== 'lo' && n !== SW_PORT_A && n !== SW_PORT_B);
    for (const name of extra) runQuiet(['ip', '-n', this.sw, 'link', 'del', name]);
    for (const port of [SW_PORT_A, SW_PORT_B]) {
      runQuiet(['ip', '-n', this.sw, 'link', 'set', port, 'nomaster']);
      await runOk(['ip', '-n', this.sw, 'link', 'set', port, 'up']);
    }
    return extra;
  }

  /** Removes the namespaces (with every link in them); idempotent. */
  destroy(): void {
    this.undo();
  }

  private removeNamespaces(): void {
    for (const pid of this.anchors.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.anchors.clear();
    for (const ns of [this.a, this.b, this.sw]) runQuiet(['ip', 'netns', 'del', ns]);
  }
}
