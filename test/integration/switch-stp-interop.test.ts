// STP against an implementation we did not write (needs root): a tsovs bridge and a Linux kernel bridge
// with `stp_state 1`, joined by two veth pairs — a loop — agree on one root and block exactly one port
// between them, each side's view checked; the BPDUs on the wire decode in tcpdump as
// "STP 802.1d, Config" carrying our bridge id.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { ip, nsRun, nsRunOk } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';
import { requireSwitchLab, SwitchLab, stpPortsIn } from './switch-lab.js';

/** The kernel bridge's port states, by port name (`bridge -j link`). */
async function kernelStates(ns: string): Promise<Map<string, string>> {
  const links = JSON.parse(await nsRunOk(ns, 'bridge', ['-j', 'link'])) as {
    ifname: string;
    state: string;
  }[];
  return new Map(links.map((l) => [l.ifname, l.state]));
}

describe('STP interoperation', { concurrency: false }, () => {
  const sl = new SwitchLab();
  after(() => sl.cleanup());

  it('agrees with a Linux kernel bridge on one root and one blocked port', async (t) => {
    if (!requireSwitchLab(t)) return;
    await sl.start();
    const [t1, k1] = sl.lab.veth('stpt1', sl.sw, 'stpk1', sl.sw);
    const [t2, k2] = sl.lab.veth('stpt2', sl.sw, 'stpk2', sl.sw);
    // The kernel bridge at the default priority; ours at 4096 is the root. Timers at the minimums.
    const kbr = 'kbr';
    ip(
      '-n',
      sl.sw,
      'link',
      'add',
      kbr,
      'type',
      'bridge',
      'stp_state',
      '1',
      'priority',
      '32768',
      'forward_delay',
      '400',
      'hello_time',
      '100',
      'max_age',
      '600',
    );
    for (const k of [k1, k2]) ip('-n', sl.sw, 'link', 'set', k, 'master', kbr);
    ip('-n', sl.sw, 'link', 'set', kbr, 'up');
    await sl.vsctl(
      'add-br',
      'br1',
      '--',
      'set',
      'Bridge',
      'br1',
      'stp_enable=true',
      'other_config:stp-priority=4096',
      'other_config:stp-forward-delay=4',
      'other_config:stp-max-age=6',
      'other_config:stp-hello-time=1000',
      '--',
      'add-port',
      'br1',
      t1,
      '--',
      'add-port',
      'br1',
      t2,
    );
    let show = '';
    let kernel = new Map<string, string>();
    await waitFor(
      async () => {
        show = await sl.appctl('stp/show', 'br1');
        kernel = await kernelStates(sl.sw);
        const ours = stpPortsIn(show, 'blocking');
        const theirs = [...kernel.values()].filter((s) => s === 'blocking');
        const ourFwd = stpPortsIn(show, 'forwarding');
        const theirFwd = [...kernel.values()].filter((s) => s === 'forwarding');
        return ours.length + theirs.length === 1 && ourFwd.length + theirFwd.length === 3;
      },
      40000,
      'tsovs and the kernel bridge to agree',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${show}\n${JSON.stringify([...kernel])}`);
    });
    // Ours is the root: both our ports designated and forwarding, the kernel blocks one of its two.
    assert.deepEqual(stpPortsIn(show, 'forwarding').sort(), [t1, t2].sort(), show);
    assert.deepEqual([...kernel.values()].sort(), ['blocking', 'forwarding']);
    assert.match(show, /This bridge is the root/);
    const ourId = (await sl.vsctl('get', 'Bridge', 'br1', 'status:stp_bridge_id')).trim().replaceAll('"', '');
    const details = JSON.parse(await nsRunOk(sl.sw, 'ip', ['-d', '-j', 'link', 'show', kbr])) as {
      linkinfo: { info_data: { root_port: number; root_path_cost: number } };
    }[];
    // (iproute2 prints the bridge's own id as root_id; its root port and cost show it follows ours.)
    const { root_port, root_path_cost } = details[0].linkinfo.info_data;
    assert.notEqual(root_port, 0, 'the kernel bridge has a root port towards ours');
    assert.equal(root_path_cost, 2);

    if (!hasBinary('tcpdump')) {
      if (process.env.CI === 'true') throw new Error('tcpdump is missing');
      t.diagnostic('tcpdump missing: BPDU decode check skipped');
      return;
    }
    // Our designated ports send Configuration BPDUs with our bridge id; tcpdump decodes them.
    const r = await nsRun(sl.sw, 'timeout', ['5', 'tcpdump', '-nn', '-v', '-i', k1, '-c', '2', 'stp'], 10000);
    const dump = r.stdout;
    assert.match(dump, /STP 802\.1d, Config/, r.stderr + dump);
    const [prio, mac] = ourId.split('.');
    const colon = mac.match(/../g)?.join(':') ?? '';
    assert.ok(dump.includes(`${prio}.${colon}`), `our bridge id ${prio}.${colon} in:\n${dump}`);
  });
});
