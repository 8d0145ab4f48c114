// The internal netdev on a real TAP: the device exists while the port is open and is gone once closed; with
// an address in the root namespace and a JS forwarder to a system port on a veth into a namespace, the
// namespace pings (and TCP reaches) the host through it. A name taken by a non-TAP device is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { InternalNetdev } from '../../src/netdev/internal.js';
import type { Netdev, RxBatch } from '../../src/netdev/netdev.js';
import { SystemNetdev } from '../../src/netdev/system.js';
import { waitFor } from '../helpers/daemons.js';
import { ip, Lab, nsRun, nsRunOk, requireRoot, uniqueName, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';

/** Every frame one port receives is queued on the other, and the batch flushed before returning. */
function forward(from: Netdev, to: Netdev): void {
  from.start((batch: RxBatch) => {
    for (let i = 0; i < batch.count; i++)
      to.enqueue(batch.buf, batch.region, batch.offsets[i], batch.lengths[i]);
    to.flush();
  });
}

/** Whether `ip link show DEV` finds the device (in the root namespace). */
function linkExists(dev: string): boolean {
  return spawnSync('ip', ['link', 'show', dev], { stdio: 'ignore' }).status === 0;
}

/** A /24 unlikely to be in use on the host: 10.213.<pid-derived>.0. */
const NET = `10.213.${(process.pid % 250) + 1}`;
/** The iperf3 port: the server listens in the root namespace, where other tests may run their own. */
const PORT = String(20000 + (process.pid % 20000));

test('internal netdev (TAP) exchanging frames with a namespace', async (t) => {
  if (!requireRoot(t)) return;
  const lab = new Lab();
  const ports: Netdev[] = [];
  lab.onCleanup(() => {
    for (const p of ports) p.close();
  });
  try {
    const ns = lab.netns('tsi');
    const [a0, ra] = lab.veth('tsia', ns, 'tsir', null);
    lab.address(ns, a0, `${NET}.2/24`);
    const tapName = uniqueName('tsitap');
    const tap = new InternalNetdev(tapName);
    ports.push(tap);
    const sys = new SystemNetdev(ra);
    ports.push(sys);

    await t.test('the TAP exists, is up, and answers for its attributes', () => {
      assert.match(ip('link', 'show', tapName), new RegExp(`${tapName}: <[^>]*\\bUP\\b`));
      assert.equal(tap.type, 'internal');
      assert.ok(tap.ifindex() > 0);
      assert.ok(tap.adminUp());
      assert.ok(tap.carrier());
      assert.equal(tap.mtu(), 1500);
      assert.match(tap.mac(), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.match(ip('-d', 'link', 'show', tapName), /tun type tap/);
    });

    await t.test('ping from the namespace to the TAP’s address', async (t) => {
      ip('addr', 'add', `${NET}.1/24`, 'dev', tapName);
      forward(tap, sys);
      forward(sys, tap);
      await waitForPing(ns, `${NET}.1`);
      const out = await nsRunOk(ns, 'ping', ['-c', '20', '-i', '0.01', '-q', `${NET}.1`]);
      assert.match(out, / 0% packet loss/);
      const m = /= [\d.]+\/([\d.]+)\//.exec(out);
      t.diagnostic(`ping RTT namespace → TAP through the JS forwarder: ${m?.[1]} ms average`);
      const s = tap.stats();
      assert.ok(s.rx_packets >= 20 && s.tx_packets >= 20, JSON.stringify(s));
    });

    await t.test('TCP from the namespace to the host through the TAP', async (t) => {
      if (!hasBinary('iperf3')) {
        if (process.env.CI === 'true') throw new Error('iperf3 is missing');
        t.skip('iperf3 missing');
        return;
      }
      const server = lab.spawnIn(null, 'iperf3', ['-s', '-1', '--forceflush', '-B', `${NET}.1`, '-p', PORT]);
      let out = '';
      server.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      await waitFor(() => out.includes('Server listening'), 10000, 'the iperf3 server');
      const r = await nsRun(ns, 'iperf3', ['-c', `${NET}.1`, '-p', PORT, '-t', '2', '-J'], 30000);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      const report = JSON.parse(r.stdout) as {
        end: { sum_received: { bytes: number; bits_per_second: number } };
      };
      assert.ok(report.end.sum_received.bytes > 0);
      const gbps = (report.end.sum_received.bits_per_second / 1e9).toFixed(2);
      t.diagnostic(`TCP namespace → TAP through the JS forwarder: ${gbps} Gbit/s`);
    });

    await t.test('closing the port deletes the TAP', async () => {
      tap.close();
      await waitFor(() => !linkExists(tapName), 5000, `${tapName} to disappear`);
      tap.close(); // twice is harmless
    });
  } finally {
    await lab.cleanup();
  }
});

test('internal netdev refuses a name a non-TAP device has', async (t) => {
  if (!requireRoot(t)) return;
  const lab = new Lab();
  try {
    const [taken] = lab.veth('tsix', null, 'tsiy', null);
    assert.throws(
      () => new InternalNetdev(taken),
      (e: Error & { code?: string }) =>
        e.name === 'NetdevError' && e.code === 'EEXIST' && e.message.includes(`network device ${taken}`),
    );
    assert.ok(linkExists(taken), 'the existing device is left alone');
  } finally {
    await lab.cleanup();
  }
});
