// The bridge commands of `tsovs vsctl` against the real ovs-vsctl: add-br (real and fake bridges, every
// error and --may-exist case), list-br, br-exists, br-to-vlan, br-to-parent, br-set/get-external-id and
// del-br, each run on a real and a tsovs ovsdb-server prepared alike, with identical stdout, stderr, status.
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, ServerPair } from './compare.js';

describe('vsctl bridge commands match ovs-vsctl', { skip: NEEDS_OVS }, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('add-br creates real and fake bridges, refusing what ovs-vsctl refuses', async () => {
    await pair.steps([
      ['init'],
      ['add-br', 'br0'],
      ['add-br', 'br0'],
      ['--may-exist', 'add-br', 'br0'],
      ['add-br', 'br0v', 'br0', '10'],
      ['--may-exist', 'add-br', 'br0v', 'br0', '10'],
      ['--may-exist', 'add-br', 'br0v', 'br0', '11'],
      ['--may-exist', 'add-br', 'br0v', 'br1', '10'],
      ['--may-exist', 'add-br', 'br0', 'br0', '10'],
      ['--may-exist', 'add-br', 'br0v'],
      ['add-br', 'x', 'br0', '10'],
      ['add-br', 'y', 'br0v', '3'],
      ['add-br', 'y', 'nobridge', '3'],
      ['add-br', 'y', 'br0', '5000'],
      ['add-br', 'y', 'br0', '-1'],
      ['add-br', 'y', 'br0'],
      ['add-br', ''],
      ['add-br', 'br1'],
      ['add-br', 'br1v0', 'br1', '0'],
      ['add-br', 'br1vx', 'br1', '7x'],
    ]);
  });

  it('lists and queries bridges', async () => {
    await pair.steps([
      ['list-br'],
      ['--real', 'list-br'],
      ['--fake', 'list-br'],
      ['--real', '--fake', 'list-br'],
      ['list-br', 'extra'],
      ['br-exists', 'br0'],
      ['br-exists', 'br0v'],
      ['br-exists', 'nobridge'],
      ['br-to-vlan', 'br0v', '--', 'br-to-vlan', 'br0', '--', 'br-to-vlan', 'br1v0'],
      ['br-to-parent', 'br0v', '--', 'br-to-parent', 'br0'],
      ['br-to-vlan', 'nobridge'],
      ['br-to-parent', 'nobridge'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });

  it('sets and gets external ids of real and fake bridges', async () => {
    await pair.steps([
      ['br-set-external-id', 'br0', 'k1', 'v1'],
      ['br-set-external-id', 'br0', 'a', 'x y'],
      ['br-get-external-id', 'br0'],
      ['br-get-external-id', 'br0', 'k1'],
      ['br-get-external-id', 'br0', 'missing'],
      ['br-set-external-id', 'br0v', 'k2', 'v2'],
      ['br-get-external-id', 'br0v'],
      ['br-get-external-id', 'br0v', 'k2'],
      ['--columns=name,external_ids', 'list', 'Port', 'br0v'],
      ['br-set-external-id', 'br0', 'k1'],
      ['br-get-external-id', 'br0'],
      ['br-get-external-id', 'nobridge'],
      ['br-set-external-id', 'nobridge', 'k', 'v'],
    ]);
  });

  it('del-br deletes bridges with their fake bridges and ports', async () => {
    await pair.steps([
      ['add-port', 'br0v', 'p0v'],
      ['add-port', 'br0', 'p0'],
      ['del-br', 'br0v'],
      ['del-br', 'br0v'],
      ['--if-exists', 'del-br', 'br0v'],
      ['add-br', 'br0v', 'br0', '10'],
      ['add-port', 'br0v', 'p0v'],
      ['del-br', 'br0'],
      ['list-br'],
    ]);
    await pair.same(['--bare', '--columns=name', 'list', 'Port'], { sortLines: true });
    await pair.same(['--bare', '--columns=name', 'list', 'Interface'], { sortLines: true });
    await pair.steps([['add-br', 'br0', '--', 'add-br', 'br2', '--', 'del-br', 'br0', '--', 'list-br']]);
    await pair.same(['show'], { sortShow: true });
  });
});
