// Auto Attach mappings and the datapath commands (zone timeout policies, capabilities) of `tsovs vsctl`
// against the real ovs-vsctl: identical stdout, stderr and exit status.
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, ServerPair } from './compare.js';

describe('vsctl auto-attach and datapath commands match ovs-vsctl', { skip: NEEDS_OVS }, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
    await pair.steps([['init'], ['add-br', 'br0'], ['add-br', 'br0v', 'br0', '10']]);
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('adds, lists and deletes Auto Attach mappings', async () => {
    await pair.steps([
      ['get-aa-mapping', 'br0'],
      ['add-aa-mapping', 'br0', '100', '10'],
      ['add-aa-mapping', 'br0v', '200', '20'],
      ['add-aa-mapping', 'br0', '300', '30x'],
      ['get-aa-mapping', 'br0', '--', 'get-aa-mapping', 'br0v'],
      ['add-aa-mapping', 'br0', '100', '11'],
      ['get-aa-mapping', 'br0'],
      ['add-aa-mapping', 'br0', 'x', '10'],
      ['add-aa-mapping', 'br0', '5', ''],
      ['add-aa-mapping', 'br0', '5', '5000'],
      ['add-aa-mapping', 'nobridge', '5', '5'],
      ['del-aa-mapping', 'br0', '100', '99'],
      ['del-aa-mapping', 'br0', '100', '11'],
      ['get-aa-mapping', 'br0'],
      ['del-aa-mapping', 'br0', 'y', '1'],
      ['get-aa-mapping', 'nobridge'],
    ]);
  });

  it('adds, lists and deletes zone timeout policies; lists capabilities', async () => {
    await pair.steps([
      ['list-zone-tp', 'netdev'],
      ['add-zone-tp', 'netdev', 'zone=1', 'icmp_first=30'],
      ['list-dp-cap', 'netdev'],
      [
        '--',
        '--id=@dp',
        'create',
        'Datapath',
        'datapath_version=0',
        'capabilities:recirc=true',
        'capabilities:ct_state=true',
        'capabilities:max_vlan_headers=2',
        '--',
        'set',
        'Open_vSwitch',
        '.',
        'datapaths:netdev=@dp',
      ],
      ['list-dp-cap', 'netdev'],
      ['list-zone-tp', 'netdev'],
      ['add-zone-tp', 'netdev', 'zone=1', 'icmp_first=30', 'icmp_reply=60'],
      ['add-zone-tp', 'netdev', 'zone=1', 'icmp_first=30'],
      ['--may-exist', 'add-zone-tp', 'netdev', 'zone=1', 'icmp_reply=5'],
      ['add-zone-tp', 'netdev', 'zone=0x10', 'icmp_first=30', 'icmp_reply=60'],
      ['list-zone-tp', 'netdev'],
    ]);
    await pair.same(['--bare', '--columns=timeouts', 'list', 'CT_Timeout_Policy'], { sortLines: true });
    await pair.steps([
      ['del-zone-tp', 'netdev', 'zone=3'],
      ['--if-exists', 'del-zone-tp', 'netdev', 'zone=3'],
      ['del-zone-tp', 'netdev', 'zone=16'],
      ['del-zone-tp', 'nodp', 'zone=1'],
      ['list-zone-tp', 'netdev', '--', 'list-zone-tp', 'nodp'],
    ]);
  });
});
