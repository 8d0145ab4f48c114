// `tsovs vsctl` against the real ovs-vsctl where the switch commands meet the rest: show and init on an
// empty database, several commands in one transaction (each seeing the others' changes through the
// cache), --oneline and --dry-run, and del-br taking a bridge's flow-sample collector sets with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, normaliseVlog, realVsctl, ServerPair, tsovsVsctl } from './compare.js';

describe('vsctl switch commands in combination match ovs-vsctl', { skip: NEEDS_OVS }, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('show and init on an empty database', async () => {
    await pair.steps([['show'], ['list-br'], ['init'], ['show'], ['init', '--', 'show']]);
  });

  it('runs several switch commands in one transaction', async () => {
    await pair.steps([
      ['add-br', 'br5', '--', 'add-port', 'br5', 'p5', '--', 'list-ports', 'br5', '--', 'br-exists', 'br5'],
      ['add-port', 'br5', 'a', '--', 'add-port', 'br5', 'a'],
      ['add-br', 'v5', 'br5', '5', '--', 'add-port', 'v5', 'pv5', '--', 'port-to-br', 'pv5', '--', 'list-br'],
      ['del-port', 'p5', '--', 'add-port', 'br5', 'p5', '--', 'iface-to-br', 'p5'],
      ['del-br', 'br5', '--', 'add-br', 'br5', '--', 'list-ports', 'br5', '--', 'list-br'],
      [
        'add-bond',
        'br5',
        'b5',
        'x1',
        'x2',
        '--',
        'list-ifaces',
        'br5',
        '--',
        '--with-iface',
        'del-port',
        'x2',
      ],
      ['set-controller', 'br5', 'tcp:1.1.1.1', '--', 'get-controller', 'br5', '--', 'del-controller', 'br5'],
      ['set-manager', 'ptcp:6640', '--', 'get-manager', '--', 'set-ssl', 'k', 'c', 'ca', '--', 'get-ssl'],
      // A database command in between: the next switch command rebuilds its view of the bridges.
      [
        'add-br',
        'br10',
        '--',
        'add-br',
        'v10',
        'br10',
        '10',
        '--',
        'add-port',
        'br10',
        'z10',
        '--',
        'port-to-br',
        'z10',
      ],
      [
        'set',
        'Port',
        'z10',
        'tag=10',
        '--',
        'port-to-br',
        'z10',
        '--',
        'clear',
        'Port',
        'z10',
        'tag',
        '--',
        'port-to-br',
        'z10',
      ],
    ]);
    await pair.same(['show'], { sortShow: true });
  });

  it('--oneline and --dry-run', async () => {
    await pair.steps([
      ['--oneline', 'list-br', '--', 'get-ssl', '--', 'br-to-vlan', 'br5'],
      ['--dry-run', 'add-br', 'dry', '--', 'list-br'],
      ['list-br'],
      ['--dry-run', 'del-br', 'br5'],
      ['br-exists', 'br5'],
    ]);
  });

  it('del-br deletes the bridge’s flow-sample collector sets', async () => {
    await pair.steps([
      ['add-br', 'br6'],
      [
        '--',
        '--id=@i',
        'create',
        'IPFIX',
        'targets="1.2.3.4:4739"',
        '--',
        'create',
        'Flow_Sample_Collector_Set',
        'id=1',
        'bridge=br6',
        'ipfix=@i',
      ],
      ['--columns=id', 'list', 'Flow_Sample_Collector_Set'],
      ['del-br', 'br6'],
      ['--columns=id', 'list', 'Flow_Sample_Collector_Set'],
      ['list-br'],
    ]);
  });

  it('reads odd databases as ovs-vsctl does: tags naming fake bridges, fake_bridge flags set by hand', async () => {
    await pair.steps([
      ['add-br', 'br7', '--', 'add-br', 'v7', 'br7', '7'],
      ['add-port', 'br7', 'q7', 'tag=7', '--', 'add-port', 'br7', 'r7', 'tag=5000'],
      ['list-ports', 'br7', '--', 'list-ports', 'v7', '--', 'port-to-br', 'q7', '--', 'port-to-br', 'r7'],
      ['add-port', 'br7', 'f7', 'fake_bridge=true'],
      ['add-port', 'br7', 'g7', 'fake_bridge=true', 'tag=8'],
      ['list-br', '--', 'br-to-vlan', 'g7', '--', 'br-to-parent', 'g7', '--', 'list-ports', 'br7'],
      ['set', 'Port', 'v7', 'fake_bridge=false'],
      ['list-br', '--', 'list-ports', 'br7', '--', 'port-to-br', 'q7', '--', 'port-to-br', 'v7'],
      ['del-br', 'g7', '--', 'list-br', '--', 'list-ports', 'br7'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });

  it('warns, as ovs-vsctl does, about two fake bridges for one VLAN', async () => {
    await pair.steps([['add-br', 'br8', '--', 'add-br', 'v8', 'br8', '8']]);
    const args = ['add-port', 'br8', 'w8', 'fake_bridge=true', 'tag=8'];
    const [real, ours] = await Promise.all([realVsctl(pair.real, args), tsovsVsctl(pair.ours, args)]);
    // The next command sees both; which keeps VLAN 8 depends on the ports' UUIDs, so names are masked.
    const shape = (text: string) => normaliseVlog(text).replace(/\((v8|w8) and (v8|w8)\)/g, '(…)');
    assert.equal(shape(ours.stderr), shape(real.stderr));
    assert.equal(ours.status, real.status);
    const list = ['list-br'];
    const [realList, ourList] = await Promise.all([realVsctl(pair.real, list), tsovsVsctl(pair.ours, list)]);
    assert.equal(ourList.stdout, realList.stdout);
    assert.equal(shape(ourList.stderr), shape(realList.stderr));
    assert.match(realList.stderr, /br8: bridge has multiple VLAN bridges \((v8|w8) and (v8|w8)\) for VLAN 8/);
  });
});
