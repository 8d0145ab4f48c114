// The seed's loop (SEED-EN.md steps 3–8) on real namespaces (needs root): A1 on br2, B1 on br3, and
// br1, br2, br3 joined in a triangle by b12, b13 and b23, with stp_enable=true on all three (timers set to
// Open vSwitch's minimums so the test converges in seconds). The tree converges with exactly one blocked
// port, A1 and B1 ping each other, a burst of broadcasts arrives exactly once each (no storm), and the
// state is visible in stp/show and in Port.status.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { nsRunOk, pingOnce, waitForPing } from '../helpers/netns.js';
import { requireSwitchLab, SwitchLab, seedHosts, stpPortsIn } from './switch-lab.js';

/** Sends `count` broadcast frames of ethertype 0x88b6 from `dev` (run inside a namespace). */
const SEND = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for i in range(int(sys.argv[2])):
    s.send(bytes.fromhex('ffffffffffff02c0c0c0c0c088b6') + i.to_bytes(4, 'big') + bytes(42))
`;

/** Counts frames of ethertype 0x88b6 arriving on `dev` for argv[2] seconds; prints the count. */
const COUNT = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b6))
s.bind((sys.argv[1], 0))
s.settimeout(0.2)
print('ready', flush=True)
end = time.time() + float(sys.argv[2])
n = 0
while time.time() < end:
    try:
        s.recv(2048)
        n += 1
    except socket.timeout:
        pass
print(n, flush=True)
`;

describe('the seed loop with STP', { concurrency: false }, () => {
  const sl = new SwitchLab();
  after(() => sl.cleanup());

  it('converges with one blocked port, forwards, and does not storm', async (t) => {
    if (!requireSwitchLab(t)) return;
    await sl.start();
    const { a1, b1, a11, a12, b11, b12, b231, b232 } = seedHosts(sl);
    const [b121, b122] = sl.lab.veth('b12.1', sl.sw, 'b12.2', sl.sw);
    const [b131, b132] = sl.lab.veth('b13.1', sl.sw, 'b13.2', sl.sw);
    const fast = [
      'other_config:stp-forward-delay=4',
      'other_config:stp-max-age=6',
      'other_config:stp-hello-time=1000',
    ];
    const args: string[] = [];
    for (const br of ['br1', 'br2', 'br3']) {
      args.push('--', 'add-br', br, '--', 'set', 'Bridge', br, 'stp_enable=true', ...fast);
    }
    await sl.vsctl(...args.slice(1));
    await sl.vsctl('add-port', 'br2', a11, '--', 'add-port', 'br3', b11);
    await sl.vsctl('add-port', 'br2', b232, '--', 'add-port', 'br3', b231);
    await sl.vsctl('add-port', 'br1', b122, '--', 'add-port', 'br1', b132);
    await sl.vsctl('add-port', 'br2', b121, '--', 'add-port', 'br3', b131);

    let show = '';
    await waitFor(
      async () => {
        show = await sl.appctl('stp/show');
        const settled = stpPortsIn(show, 'listening').length + stpPortsIn(show, 'learning').length === 0;
        return settled && stpPortsIn(show, 'blocking').length === 1;
      },
      40000,
      'the spanning tree to converge',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${show}\n${sl.log()}`);
    });
    const blocked = stpPortsIn(show, 'blocking');
    assert.equal(blocked.length, 1, show);
    assert.ok(
      [b121, b122, b131, b132, b231, b232].includes(blocked[0]),
      `a loop port is blocked: ${blocked}`,
    );

    await waitForPing(a1, '192.168.10.2', 20000);
    assert.ok(await pingOnce(b1, '192.168.10.1'), 'B1 reaches A1');

    // 200 broadcasts from A1 arrive at B1 exactly once each: the loop does not multiply them.
    const counter = sl.lab.spawnIn(b1, 'python3', ['-c', COUNT, b12, '3']);
    let out = '';
    counter.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    await waitFor(() => out.includes('ready'), 10000, 'the counter in B1');
    await nsRunOk(a1, 'python3', ['-c', SEND, a12, '200']);
    await waitFor(() => /ready\s+\d+/.test(out), 10000, 'the count');
    assert.equal(Number(/ready\s+(\d+)/.exec(out)?.[1]), 200, 'each broadcast arrived once');

    // Port.status carries the state, as ovs-vswitchd writes it.
    await waitFor(
      async () => (await sl.vsctl('get', 'Port', blocked[0], 'status:stp_state')).trim() === 'blocking',
      15000,
      'Port.status stp_state',
    );
    const bridgeStatus = await sl.vsctl('get', 'Bridge', 'br2', 'status');
    assert.match(bridgeStatus, /stp_bridge_id=/);
  });
});
