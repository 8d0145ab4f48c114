// The port, bond and interface commands of `tsovs vsctl` against the real ovs-vsctl: add-port (settings,
// fake bridges, --may-exist), add-bond (--fake-iface), del-port (bridge checks, --if-exists,
// --with-iface), port-to-br, list-ports, list-ifaces and iface-to-br, with identical stdout, stderr, status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, normaliseVlog, realVsctl, ServerPair, tsovsVsctl } from './compare.js';

describe('vsctl port and interface commands match ovs-vsctl', { skip: NEEDS_OVS }, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
    await pair.steps([['init'], ['add-br', 'br0'], ['add-br', 'br0v', 'br0', '10'], ['add-br', 'br1']]);
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('add-port adds ports, on fake bridges with their tag, refusing conflicts', async () => {
    await pair.steps([
      ['add-port', 'br0', 'p1'],
      ['add-port', 'br0', 'p1'],
      ['add-port', 'br1', 'p1'],
      ['add-port', 'br0v', 'p2', 'tag=99'],
      ['add-port', 'br0v', 'pv', 'other_config:k=v', 'external_ids:a=b'],
      ['add-port', 'br0', 'br0v'],
      ['add-port', 'br0', 'p3', 'nosuchcolumn'],
      ['add-port', 'br0', 'p3', 'tag'],
      ['add-port', 'br0', 'p3', 'tag=x'],
      ['add-port', 'br0', 'p3', 'name:x=y'],
      ['add-port', 'nobridge', 'p9'],
      ['add-port', 'br0', ''],
      ['--may-exist', 'add-port', 'br0', 'p1'],
      ['--may-exist', 'add-port', 'br0v', 'p1'],
      ['--may-exist', 'add-port', 'br0', 'p2'],
      ['--columns=name,tag,other_config,external_ids', 'list', 'Port', 'pv', '--', 'list', 'Port', 'p2'],
    ]);
  });

  it('add-bond adds bonds of two or more interfaces', async () => {
    await pair.steps([
      ['add-bond', 'br0', 'bond0', 'a', 'b'],
      ['add-bond', 'br0', 'bond1', 'a'],
      ['add-bond', 'br0', 'bond1', 'c', 'lacp=active'],
      ['add-bond', 'br0', 'bond1', 'c', 'd', 'lacp=active'],
      ['--may-exist', 'add-bond', 'br0', 'bond0', 'b', 'a'],
      ['--may-exist', 'add-bond', 'br0', 'bond0', 'a', 'c'],
      ['--may-exist', '--fake-iface', 'add-bond', 'br0', 'bond0', 'a', 'c'],
      ['--fake-iface', 'add-bond', 'br0', 'bond2', 'e', 'f'],
      ['add-bond', 'br0', 'bond3', 'x', ''],
      ['add-port', 'br0', 'a'],
      ['add-bond', 'br0', 'bond3', 'x', 'p1'],
      ['--columns=name,bond_fake_iface,lacp', 'list', 'Port', 'bond1', '--', 'list', 'Port', 'bond2'],
    ]);
  });

  it('add-bond-iface and del-bond-iface change a bond’s interfaces', async () => {
    await pair.steps([
      ['add-bond-iface', 'bond1', 'g'],
      ['add-bond-iface', 'bond1', 'g'],
      ['--may-exist', 'add-bond-iface', 'bond1', 'g'],
      ['--may-exist', 'add-bond-iface', 'bond0', 'g'],
      ['add-bond-iface', 'nobond', 'h'],
      ['add-bond-iface', 'p1', 'p2'],
      ['del-bond-iface', 'g', '--', 'list-ifaces', 'br0'],
      ['del-bond-iface', 'g'],
      ['--if-exists', 'del-bond-iface', 'g'],
      ['del-bond-iface', 'bond0', 'c'],
      ['del-bond-iface', 'nobond', 'c'],
      ['del-bond-iface', 'p1'],
      ['add-bond-iface', 'p1', 'p1b', '--', 'list-ifaces', 'br0', '--', 'del-bond-iface', 'p1', 'p1b'],
      ['add-bond-iface', 'bond1', 'g', '--', 'iface-to-br', 'g', '--', 'del-bond-iface', 'bond1', 'g'],
    ]);
  });

  it('lists ports and interfaces and finds their bridges', async () => {
    await pair.steps([
      ['list-ports', 'br0', '--', 'list-ports', 'br0v', '--', 'list-ports', 'br1'],
      ['list-ifaces', 'br0', '--', 'list-ifaces', 'br0v'],
      ['list-ports', 'nobridge'],
      ['list-ifaces', 'nobridge'],
      ['port-to-br', 'p1', '--', 'port-to-br', 'p2', '--', 'port-to-br', 'pv', '--', 'port-to-br', 'bond0'],
      ['port-to-br', 'br0'],
      ['port-to-br', 'br0v'],
      ['port-to-br', 'nop'],
      ['iface-to-br', 'p2', '--', 'iface-to-br', 'a', '--', 'iface-to-br', 'pv'],
      ['iface-to-br', 'br0'],
      ['iface-to-br', 'bond0'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });

  it('del-port deletes ports, checking the bridge named', async () => {
    await pair.steps([
      ['del-port', 'br0', 'pv'],
      ['del-port', 'br0v', 'p1'],
      ['del-port', 'nobridge', 'p1'],
      ['del-port', 'br0'],
      ['--if-exists', 'del-port', 'br0'],
      ['del-port', 'nop'],
      ['--if-exists', 'del-port', 'nop'],
      ['--with-iface', 'del-port', 'nop'],
      ['--with-iface', 'del-port', 'a'],
      ['del-port', 'br0', 'p1'],
      ['del-port', 'br0v', 'pv'],
      ['del-port', 'p2'],
      ['--if-exists', 'del-port', 'br0', 'nop'],
      ['--if-exists', 'del-port', 'nobridge', 'nop'],
      ['--with-iface', 'del-port', 'br0', 'e'],
      ['list-ports', 'br0', '--', 'list-ifaces', 'br0'],
    ]);
    await pair.same(['--bare', '--columns=name', 'list', 'Interface'], { sortLines: true });
    await pair.same(['show'], { sortShow: true });
  });

  it('warns, as ovs-vsctl does, about a port that is in two bridges', async () => {
    await pair.steps([
      ['add-port', 'br1', 'p4'],
      ['--', '--id=@p', 'get', 'Port', 'p4', '--', 'add', 'Bridge', 'br0', 'ports', '@p'],
    ]);
    // Which bridge keeps the port depends on the bridges' UUIDs, so only the warning's count and level are compared.
    const [real, ours] = await Promise.all(
      [pair.real, pair.ours].map((s) => (s === pair.real ? realVsctl : tsovsVsctl)(s, ['br-exists', 'br0'])),
    );
    const shape = (text: string) => normaliseVlog(text).replace(/\(br\d and br\d\)/, '(…)');
    assert.equal(shape(ours.stderr), shape(real.stderr));
    assert.match(real.stderr, /\|00001\|vsctl\|WARN\|p4: port is in multiple bridges \(br\d and br\d\)/);
    const rw = await Promise.all([
      realVsctl(pair.real, ['add-br', 'br9']),
      tsovsVsctl(pair.ours, ['add-br', 'br9']),
    ]);
    assert.equal(shape(rw[1].stderr), shape(rw[0].stderr));
    assert.match(rw[0].stderr, /\|00002\|vsctl\|WARN\|/);
  });
});
