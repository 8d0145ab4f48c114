// The seed's first step on real namespaces (needs root): A1 (192.168.10.1/24) and B1 (192.168.10.2/24),
// veths a1.1/a1.2 into br2 and b1.1/b1.2 into br3, br2 and br3 joined by the b23.1/b23.2 pair — all
// configured with `tsovs vsctl` against tsovs's ovsdb-server and vswitchd. A1 and B1 ping each other and
// TCP (iperf3) flows both ways with the veths' default offloads left on. (Names get a per-run suffix.)
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { nsRun, nsRunOk, pingOnce, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';
import { requireSwitchLab, SwitchLab, seedHosts } from './switch-lab.js';

/** Runs an iperf3 client in `ns` against `server` (reverse: the server sends); returns bits/s. */
async function iperf(ns: string, server: string, reverse: boolean): Promise<number> {
  let out = '';
  await waitFor(
    async () => {
      const r = await nsRun(ns, 'iperf3', ['-c', server, '-t', '2', '-J', ...(reverse ? ['-R'] : [])], 30000);
      out = r.stdout;
      return r.status === 0;
    },
    40000,
    `iperf3 from ${ns} to ${server}`,
  );
  const result = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return result.end.sum_received.bits_per_second;
}

describe('the seed: A1 and B1 through br2 and br3', { concurrency: false }, () => {
  const sl = new SwitchLab();
  after(() => sl.cleanup());

  it('pings both ways and carries TCP both ways with offloads on', async (t) => {
    if (!requireSwitchLab(t)) return;
    await sl.start();
    const { a1, b1, a11, a12, b11, b231, b232 } = seedHosts(sl);
    await sl.vsctl('add-br', 'br2', '--', 'add-br', 'br3');
    await sl.vsctl('add-port', 'br2', a11, '--', 'add-port', 'br3', b11);
    await sl.vsctl('add-port', 'br2', b232, '--', 'add-port', 'br3', b231);
    const show = await sl.vsctl('show');
    assert.match(show, /Bridge br2/);
    const errors = await sl.vsctl('--columns=name,error', '--format=csv', 'find', 'Interface', 'ofport=-1');
    assert.equal(errors, 'name,error\n', `no interface failed:\n${errors}\n${sl.log()}`);

    await waitForPing(b1, '192.168.10.1', 20000);
    assert.ok(await pingOnce(a1, '192.168.10.2'), 'A1 reaches B1');
    const ping = await nsRunOk(a1, 'ping', ['-c', '3', '-i', '0.2', '192.168.10.2']);
    assert.match(ping, /64 bytes from 192\.168\.10\.2/);
    assert.match(ping, / 0% packet loss/);

    // The veths keep their default offloads (tx checksum, TSO): nothing here runs ethtool.
    const features = await nsRunOk(a1, 'ethtool', ['-k', a12]).catch(() => '');
    if (features !== '') assert.match(features, /tx-checksumming: on/);
    if (!hasBinary('iperf3')) {
      t.diagnostic('iperf3 missing: TCP part skipped (apt-get install iperf3)');
      return;
    }
    sl.lab.spawnIn(b1, 'iperf3', ['-s']);
    const forward = await iperf(a1, '192.168.10.2', false);
    const reverse = await iperf(a1, '192.168.10.2', true);
    t.diagnostic(
      `TCP A1→B1 ${(forward / 1e9).toFixed(2)} Gbit/s, B1→A1 ${(reverse / 1e9).toFixed(2)} Gbit/s`,
    );
    assert.ok(forward > 1e6, `A1→B1 carried TCP (${forward} bit/s)`);
    assert.ok(reverse > 1e6, `B1→A1 carried TCP (${reverse} bit/s)`);
  });
});
