// STP and RSTP against real Open vSwitch 3.1 (needs root and openvswitch-switch): a tsovs bridge and a real OVS
// bridge (datapath_type=netdev, its ovs-vswitchd inside the switch namespace), joined by two veth pairs —
// a loop — agree on one root and block exactly one port between them, each side's view checked through
// its own stp/show and its own database. Once with ours as the root (their BPDUs must be accepted by us
// and ours by them, and they block), once with theirs as the root (we block, and our root port is the
// one facing their port with the lower port id). And RSTP (rstp_enable=true on both): with ours the root,
// theirs has one root port forwarding and one alternate port discarding, and both databases agree.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { uniqueName } from '../helpers/netns.js';
import { requireBinaries } from '../helpers/ovs.js';
import { REAL_OVS_BINARIES, RealOvs } from '../helpers/real-ovs.js';
import { requireSwitchLab, STP_FAST, SwitchLab, stpPortsIn } from './switch-lab.js';

/** Fast timers, the same on both sides. */
const TIMERS = STP_FAST;

/** One row of stp/show's port table. */
interface StpPortRow {
  name: string;
  role: string;
  state: string;
  cost: number;
  /** Port id, priority << 8 | number ("128.1" → 0x8001). */
  portId: number;
}

/** The port table of an stp/show text (ours or OVS's: the same layout). */
function stpPorts(show: string): Map<string, StpPortRow> {
  const rows = new Map<string, StpPortRow>();
  for (const m of show.matchAll(
    /^\s+(\S+)\s+(root|designated|alternate|disabled)\s+(\S+)\s+(\d+)\s+(\d+)\.(\d+)/gm,
  )) {
    rows.set(m[1], {
      name: m[1],
      role: m[2],
      state: m[3],
      cost: Number(m[4]),
      portId: (Number(m[5]) << 8) | Number(m[6]),
    });
  }
  return rows;
}

/** An id section ("Root ID:" or "Bridge ID:") of stp/show as "priority.mac" (e.g. "4096.aa:bb:…"). */
function stpShowId(show: string, section: 'Root ID' | 'Bridge ID'): string {
  const block = show.split(`${section}:`)[1] ?? '';
  const prio = block.match(/stp-priority\s+(\d+)/)?.[1];
  const mac = block.match(/stp-system-id\s+(\S+)/)?.[1];
  return `${prio}.${mac}`;
}

/** A map column as `ovs-vsctl get` prints it ({a="1", b="2"}) as an object. */
function statusMap(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/([\w-]+)="?([^",}]*)"?/g)].map((m) => [m[1], m[2]]));
}

/** The value of `ovs-vsctl get …` with its quotes removed. */
function unquote(text: string): string {
  return text.trim().replaceAll('"', '');
}

/** tsovs and a real Open vSwitch in one namespace, joined by two veth pairs t1–o1 and t2–o2; null when
 * the test was skipped (not root, or Open vSwitch missing outside CI). Both are removed after the test. */
async function twoSwitches(t: TestContext, prefix: string) {
  if (!requireSwitchLab(t)) return null;
  if (!requireBinaries(t, ...REAL_OVS_BINARIES)) return null;
  const sl = new SwitchLab();
  const ovs = new RealOvs();
  t.after(() => sl.cleanup());
  sl.lab.onCleanup(() => ovs.cleanup());
  await sl.start();
  const [t1, o1] = sl.lab.veth(`${prefix}t1`, sl.sw, `${prefix}o1`, sl.sw);
  const [t2, o2] = sl.lab.veth(`${prefix}t2`, sl.sw, `${prefix}o2`, sl.sw);
  await ovs.start(sl.sw);
  return { sl, ovs, t1, t2, o1, o2 };
}

async function loopConverges(t: TestContext, root: 'ours' | 'theirs'): Promise<void> {
  const pair = await twoSwitches(t, 'stp');
  if (pair === null) return;
  const { sl, ovs, t1, t2, o1, o2 } = pair;
  const peerOf = new Map([
    [o1, t1],
    [o2, t2],
    [t1, o1],
    [t2, o2],
  ]);
  // The root's side at priority 4096, the other at the default 32768.
  const ourPriority = root === 'ours' ? 4096 : 32768;
  const theirPriority = root === 'ours' ? 32768 : 4096;
  const obr = uniqueName('ostp');
  await ovs.vsctl(
    'add-br',
    obr,
    '--',
    'set',
    'Bridge',
    obr,
    'datapath_type=netdev',
    'stp_enable=true',
    `other_config:stp-priority=${theirPriority}`,
    ...TIMERS,
    '--',
    'add-port',
    obr,
    o1,
    '--',
    'add-port',
    obr,
    o2,
  );
  await waitFor(
    async () => {
      for (const o of [o1, o2]) {
        const ofport = Number(unquote(await ovs.vsctl('get', 'Interface', o, 'ofport')));
        if (!(ofport > 0)) return false;
      }
      return true;
    },
    30000,
    'the real OVS bridge to attach its ports',
  );
  await sl.vsctl(
    'add-br',
    'br1',
    '--',
    'set',
    'Bridge',
    'br1',
    'stp_enable=true',
    `other_config:stp-priority=${ourPriority}`,
    ...TIMERS,
    '--',
    'add-port',
    'br1',
    t1,
    '--',
    'add-port',
    'br1',
    t2,
  );

  let ours = '';
  let theirs = '';
  const started = Date.now();
  await waitFor(
    async () => {
      ours = await sl.appctl('stp/show', 'br1');
      theirs = await ovs.appctl('stp/show', obr);
      const blocking = stpPortsIn(ours, 'blocking').length + stpPortsIn(theirs, 'blocking').length;
      const forwarding = stpPortsIn(ours, 'forwarding').length + stpPortsIn(theirs, 'forwarding').length;
      return (
        blocking === 1 && forwarding === 3 && stpShowId(ours, 'Root ID') === stpShowId(theirs, 'Root ID')
      );
    },
    45000,
    `tsovs and Open vSwitch to agree (root: ${root})`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${ours}\n${theirs}\n${ovs.log().split('\n').slice(-30).join('\n')}`);
  });
  t.diagnostic(`stp/show on both sides converged in ${Date.now() - started} ms`);
  const rootShow = root === 'ours' ? ours : theirs;
  const otherShow = root === 'ours' ? theirs : ours;
  const rootPorts = stpPorts(rootShow);
  const otherPorts = stpPorts(otherShow);
  // The non-root's root port faces the root's port with the lower port id (equal costs: the lower
  // designated port id wins); the non-root's other port is the blocked one.
  const [lower] = [...rootPorts.values()].sort((a, b) => a.portId - b.portId);
  const expectedRootPort = peerOf.get(lower?.name ?? '') ?? '';
  const rootPort = otherPorts.get(expectedRootPort);

  // Each side's database: poll until both report the same designated root (the status columns are
  // written back a little after the state changes), then check them.
  let ourStatus: Record<string, string> = {};
  let theirStatus: Record<string, string> = {};
  await waitFor(
    async () => {
      ourStatus = statusMap(await sl.vsctl('get', 'Bridge', 'br1', 'status'));
      theirStatus = statusMap(await ovs.vsctl('get', 'Bridge', obr, 'status'));
      const [rootStatus, otherStatus] = root === 'ours' ? [ourStatus, theirStatus] : [theirStatus, ourStatus];
      return (
        ourStatus.stp_designated_root === theirStatus.stp_designated_root &&
        rootStatus.stp_root_path_cost === '0' &&
        otherStatus.stp_root_path_cost === String(rootPort?.cost)
      );
    },
    15000,
    'both databases to show the same root',
  ).catch(() => undefined); // the assertions below say what differs
  const why =
    `ours:\n${ours}\ntheirs:\n${theirs}\n` +
    `our status: ${JSON.stringify(ourStatus)}\ntheir status: ${JSON.stringify(theirStatus)}`;

  // Both sides run the timers they were given.
  for (const show of [ours, theirs]) {
    assert.match(show, /stp-hello-time\s+1s/, why);
    assert.match(show, /stp-max-age\s+6s/, why);
    assert.match(show, /stp-fwd-delay\s+4s/, why);
  }

  // One root bridge id, the same in both databases and both stp/show "Root ID"s: the root's own id.
  const ourBridgeId = ourStatus.stp_bridge_id;
  const theirBridgeId = theirStatus.stp_bridge_id;
  assert.ok(ourBridgeId?.startsWith(ourPriority.toString(16).padStart(4, '0')), why);
  assert.ok(theirBridgeId?.startsWith(theirPriority.toString(16).padStart(4, '0')), why);
  assert.equal(ourStatus.stp_designated_root, root === 'ours' ? ourBridgeId : theirBridgeId, why);
  assert.equal(theirStatus.stp_designated_root, ourStatus.stp_designated_root, why);
  assert.equal(stpShowId(ours, 'Root ID'), stpShowId(rootShow, 'Bridge ID'), why);
  assert.equal(stpShowId(theirs, 'Root ID'), stpShowId(rootShow, 'Bridge ID'), why);

  // The root: "This bridge is the root", path cost 0, both its ports designated and forwarding.
  assert.match(rootShow, /This bridge is the root/, why);
  assert.equal(rootPorts.size, 2, why);
  for (const p of rootPorts.values()) assert.deepEqual([p.role, p.state], ['designated', 'forwarding'], why);
  assert.equal((root === 'ours' ? ourStatus : theirStatus).stp_root_path_cost, '0', why);

  // The other: its root port forwarding towards the root's lower port, its other port alternate and
  // blocking, its path cost to the root that of its root port (in stp/show as in its database).
  assert.doesNotMatch(otherShow, /This bridge is the root/, why);
  assert.equal(otherPorts.size, 2, why);
  assert.deepEqual([rootPort?.role, rootPort?.state], ['root', 'forwarding'], why);
  const blocked = [...otherPorts.values()].find((p) => p.name !== expectedRootPort);
  assert.deepEqual([blocked?.role, blocked?.state], ['alternate', 'blocking'], why);
  assert.match(otherShow, new RegExp(`root-port\\s+${expectedRootPort}\\b`), why);
  assert.match(otherShow, new RegExp(`root-path-cost\\s+${rootPort?.cost}\\b`), why);
  assert.equal((root === 'ours' ? theirStatus : ourStatus).stp_root_path_cost, String(rootPort?.cost), why);
}

describe('STP interoperation with Open vSwitch 3.1', { concurrency: false }, () => {
  it('tsovs as the root: the real OVS bridge blocks one of its two ports', (t) => loopConverges(t, 'ours'));
  it('the real OVS bridge as the root: tsovs blocks one port, its root port faces theirs', (t) =>
    loopConverges(t, 'theirs'));
});

/** rstp/show's port lines as [interface, role, state] (ours and OVS's: the same layout). */
function rstpPorts(show: string): string[][] {
  return [...show.matchAll(/^ {2}(\S+) +(Root|Designated|Alternate|Backup|Disabled) +(\S+)/gm)].map((m) => [
    m[1],
    m[2],
    m[3],
  ]);
}

describe('RSTP interoperation with Open vSwitch 3.1', { concurrency: false }, () => {
  it('tsovs as the RSTP root: the real OVS bridge has one root port and one alternate port', async (t) => {
    const pair = await twoSwitches(t, 'rstp');
    if (pair === null) return;
    const { sl, ovs, t1, t2, o1, o2 } = pair;
    const obr = uniqueName('orst');
    await ovs.vsctl(
      ...['add-br', obr, '--', 'set', 'Bridge', obr, 'datapath_type=netdev', 'rstp_enable=true'],
      ...['--', 'add-port', obr, o1, '--', 'add-port', obr, o2],
    );
    await sl.vsctl(
      ...[
        'add-br',
        'br1',
        '--',
        'set',
        'Bridge',
        'br1',
        'rstp_enable=true',
        'other_config:rstp-priority=4096',
      ],
      ...['--', 'add-port', 'br1', t1, '--', 'add-port', 'br1', t2],
    );
    let ours = '';
    let theirs = '';
    const started = Date.now();
    await waitFor(
      async () => {
        ours = await sl.appctl('rstp/show', 'br1');
        theirs = await ovs.appctl('rstp/show', obr);
        const o = rstpPorts(ours).map(([, role, state]) => `${role} ${state}`);
        const r = rstpPorts(theirs).map(([, role, state]) => `${role} ${state}`);
        return (
          o.join() === 'Designated Forwarding,Designated Forwarding' &&
          r.sort().join() === 'Alternate Discarding,Root Forwarding'
        );
      },
      30000,
      'tsovs and Open vSwitch to agree on the RSTP tree',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nours:\n${ours}\ntheirs:\n${theirs}`);
    });
    t.diagnostic(`rstp/show on both sides agreed in ${Date.now() - started} ms`);
    assert.match(ours, /This bridge is the root/);
    assert.doesNotMatch(theirs, /This bridge is the root/);
    // Both databases name our bridge as the root.
    const why = `ours:\n${ours}\ntheirs:\n${theirs}`;
    let ourRoot = '';
    let theirRoot = '';
    await waitFor(
      async () => {
        ourRoot = unquote(await sl.vsctl('get', 'Bridge', 'br1', 'rstp_status:rstp_root_id'));
        theirRoot = unquote(await ovs.vsctl('get', 'Bridge', obr, 'rstp_status:rstp_root_id'));
        return ourRoot !== '' && ourRoot === theirRoot;
      },
      15000,
      'both databases to show the same RSTP root',
    ).catch(() => undefined);
    assert.equal(theirRoot, ourRoot, why);
    assert.equal(ourRoot, unquote(await sl.vsctl('get', 'Bridge', 'br1', 'rstp_status:rstp_bridge_id')), why);
    assert.match(ourRoot, /^1\.000\./, why);
  });
});
