// `tsovs vsctl` against the real ovs-vsctl where the switch commands meet the rest: show and init on an
// empty database, several commands in one transaction (each seeing the others' changes through the
// cache), --oneline and --dry-run, and del-br taking a bridge's flow-sample collector sets with it.
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, ServerPair } from './commands-harness.test.js';

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
});
