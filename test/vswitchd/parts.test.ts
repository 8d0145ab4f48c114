// The reconciler's small parts: option parsing, OVS's bridge MAC from a row UUID, which replica changes
// count as configuration, vlog/set and vlog/list, coverage/show, the dummy frame parser and the
// ofport/netdev choices of SwitchState (over a recording fake ofproto and the real datapath).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetdevDatapath } from '../../src/datapath/dpif-netdev.js';
import type { XlateResult } from '../../src/datapath/upcall.js';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { NetdevError } from '../../src/netdev/netdev.js';
import type { BridgeSettings, PortSettings } from '../../src/ofproto/ofproto.js';
import { rstpPortSettings } from '../../src/ofproto/rstp/config.js';
import { stpPortSettings } from '../../src/ofproto/stp/config.js';
import { UnixctlError } from '../../src/unixctl/server.js';
import { parseHexFrame } from '../../src/vswitchd/commands.js';
import {
  bridgeSettings,
  type DesiredBridge,
  type DesiredConfig,
  type DesiredIface,
  dpidOption,
  intOption,
  usableMac,
} from '../../src/vswitchd/config.js';
import { Coverage } from '../../src/vswitchd/coverage.js';
import { ifaceTypes, netdevOpener } from '../../src/vswitchd/netdevs.js';
import { macFromUuid, type OfprotoApi, SwitchState } from '../../src/vswitchd/switch.js';
import { Vlog, VlogSpecError } from '../../src/vswitchd/vlog.js';

describe('configuration options', () => {
  it('reads integers as smap_get_int does', () => {
    assert.equal(intOption('15'), 15);
    assert.equal(intOption(' 20x'), 20);
    assert.equal(intOption('abc'), null);
    assert.equal(intOption(undefined), null);
  });

  it('fills BridgeSettings with OVS defaults', () => {
    assert.deepEqual(bridgeSettings('br0', new Map()), {
      name: 'br0',
      macAgingTime: 300,
      macTableSize: 2048,
      forwardBpdu: false,
    });
    const oc = new Map([
      ['mac-aging-time', '15'],
      ['mac-table-size', '10'],
      ['forward-bpdu', 'true'],
    ]);
    assert.deepEqual(bridgeSettings('br1', oc), {
      name: 'br1',
      macAgingTime: 15,
      macTableSize: 10,
      forwardBpdu: true,
    });
    assert.equal(bridgeSettings('b', new Map([['mac-aging-time', '0']])).macAgingTime, 300);
  });

  it('accepts datapath-id as OVS does', () => {
    assert.equal(dpidOption('00000000000000a1'), '00000000000000a1');
    assert.equal(dpidOption('0xA1'), '00000000000000a1');
    assert.equal(dpidOption('0000000000000000'), null);
    assert.equal(dpidOption('a1'), null);
    assert.equal(dpidOption('000000000000000g'), null);
  });

  it('accepts hwaddr only when unicast and non-zero', () => {
    assert.equal(usableMac('00:11:22:33:44:55'), '00:11:22:33:44:55');
    assert.equal(usableMac('01:00:5e:00:00:01'), null);
    assert.equal(usableMac('00:00:00:00:00:00'), null);
    assert.equal(usableMac('nonsense'), null);
  });

  it("derives the bridge MAC from the row UUID like ovs-vswitchd (checked against OVS 3.1's output)", () => {
    // A real ovs-vswitchd gave bridge row 86408138-3b2d-… the MAC 3a:81:40:86:cf:4c (datapath_id 00003a814086cf4c).
    assert.equal(macFromUuid('86408138-3b2d-4ccf-83bd-6b4a544dccf3'), '3a:81:40:86:cf:4c');
  });
});

describe('Vlog', () => {
  it('lists modules in OVS layout and applies vlog/set specs', () => {
    const lines: string[] = [];
    const vlog = new Vlog(['bridge', 'vswitchd'], { console: 'off', consoleWrite: (l) => lines.push(l) });
    assert.equal(
      vlog.list(),
      '                 console    syslog    file\n' +
        '                 -------    ------    ------\n' +
        'bridge             OFF       INFO       INFO\n' +
        'vswitchd           OFF       INFO       INFO\n',
    );
    vlog.set('bridge:console:dbg');
    assert.match(vlog.list(), /^bridge {13}DBG {7}INFO {7}INFO$/m);
    vlog.module('bridge').debug('hello');
    vlog.module('vswitchd').info('not shown');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|00001\|bridge\|DBG\|hello\n$/);
    vlog.set('console:warn');
    assert.match(vlog.list(), /^vswitchd {10}WARN {7}INFO {7}INFO$/m);
  });

  it('refuses what OVS refuses, with its words', () => {
    const vlog = new Vlog(['bridge']);
    assert.throws(
      () => vlog.set('nosuch:dbg'),
      new VlogSpecError('no destination, level, or module "nosuch"'),
    );
    assert.throws(() => vlog.set('file:console'), new VlogSpecError('cannot specify multiple destinations'));
    assert.throws(() => vlog.set('dbg:info'), new VlogSpecError('cannot specify multiple levels'));
    assert.throws(() => vlog.set('PATTERN'), new VlogSpecError('missing destination'));
  });
});

describe('Coverage', () => {
  it('shows counters hit with their rates and totals, and counts the rest', () => {
    const c = new Coverage(['a_event', 'b_event', 'never']);
    c.run(0);
    c.add('a_event', 5);
    c.run(5000);
    const text = c.show();
    const lines = text.split('\n');
    assert.match(
      lines[0],
      /^Event coverage, avg rate over last: 5 seconds, last minute, last hour, {2}hash=[0-9a-f]{8}:$/,
    );
    assert.equal(lines[1], 'a_event                    1.0/sec     0.083/sec        0.0000/sec   total: 5');
    assert.equal(lines[2], '2 events never hit');
    assert.equal(c.read('a_event'), 5);
    assert.equal(c.read('nope'), undefined);
  });
});

describe('netdev-dummy/receive frames', () => {
  it('parses hex with separators and refuses the rest', () => {
    assert.deepEqual(
      [...parseHexFrame('ffffffffffff 000000000001 0800')],
      [255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 1, 8, 0],
    );
    assert.throws(() => parseHexFrame('in_port(1)'), UnixctlError);
    assert.throws(() => parseHexFrame('ffff'), UnixctlError);
  });
});

/** An ofproto that records what it is told. */
class RecordingOfproto implements OfprotoApi {
  readonly bridges = new Map<string, BridgeSettings>();
  readonly ports = new Map<string, PortSettings>();
  translate(): XlateResult {
    return { actions: new Uint32Array(0), mask: new Uint32Array(0), tags: [], install: false };
  }
  userspace(): void {}
  setBridge(s: BridgeSettings): void {
    this.bridges.set(s.name, s);
  }
  removeBridge(name: string): void {
    this.bridges.delete(name);
  }
  setPort(_bridge: string, p: PortSettings): void {
    this.ports.set(p.name, p);
  }
  removePort(_bridge: string, name: string): void {
    this.ports.delete(name);
  }
  fdbShow(): string {
    return '';
  }
  fdbFlush(): void {}
  run(): void {}
}

const QUIET = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

function iface(name: string, extra: Partial<DesiredIface> = {}): DesiredIface {
  return {
    uuid: `uuid-${name}`,
    name,
    bridge: 'br0',
    port: name,
    type: 'dummy',
    options: new Map(),
    ofportRequest: null,
    previousOfport: null,
    tag: null,
    trunks: [],
    vlanMode: null,
    local: false,
    portUuid: `port-${name}`,
    stp: stpPortSettings({}),
    rstp: rstpPortSettings({}),
    configError: null,
    ...extra,
  };
}

function config(ifaces: DesiredIface[], extra: Partial<DesiredBridge> = {}): DesiredConfig {
  const bridge: DesiredBridge = {
    uuid: '86408138-3b2d-4ccf-83bd-6b4a544dccf3',
    name: 'br0',
    settings: bridgeSettings('br0', new Map()),
    datapathType: 'dummy',
    hwaddr: null,
    datapathId: null,
    stpEnable: false,
    rstpEnable: false,
    otherConfig: {},
    ifaces: [iface('br0', { local: true, type: 'internal' }), ...ifaces],
    ...extra,
  };
  return { ovsUuid: 'ovs', bridges: [bridge], statsInterval: null };
}

describe('SwitchState', () => {
  function make() {
    const ofproto = new RecordingOfproto();
    const opened: string[] = [];
    const open = netdevOpener('dummy', (type, name) => {
      opened.push(name);
      if (type === 'system')
        throw new NetdevError('ENODEV', `could not open network device ${name} (No such device)`);
      if (type !== 'dummy')
        throw new NetdevError('EAFNOSUPPORT', `${name}: unsupported interface type ${type}`);
      return new DummyNetdev(name);
    });
    const sw = new SwitchState(new NetdevDatapath(), ofproto, open, QUIET, new Coverage());
    return { sw, ofproto, opened };
  }

  it('gives the local port 65534, honours ofport_request, else the lowest free number', () => {
    const { sw, ofproto } = make();
    sw.apply(config([iface('a', { ofportRequest: 3 }), iface('b'), iface('c', { ofportRequest: 3 })]));
    assert.equal(sw.iface('br0')?.ofport, 65534);
    assert.equal(sw.iface('a')?.ofport, 3);
    // Like OVS: interfaces with a request are added first; c's request is taken, so it gets the lowest free.
    assert.equal(sw.iface('c')?.ofport, 1);
    assert.equal(sw.iface('b')?.ofport, 2);
    assert.equal(ofproto.ports.get('a')?.dpPort, sw.iface('a')?.dpPort);
    assert.equal(sw.bridge('br0')?.dpid, '00003a814086cf4c');
  });

  it('prefers the ofport an earlier run wrote, and moves a port to a newly requested number', () => {
    const { sw } = make();
    sw.apply(config([iface('a', { previousOfport: 9 }), iface('b')]));
    assert.equal(sw.iface('a')?.ofport, 9);
    assert.equal(sw.iface('b')?.ofport, 1);
    sw.apply(config([iface('a', { previousOfport: 9 }), iface('b', { ofportRequest: 5 })]));
    assert.equal(sw.iface('b')?.ofport, 5);
  });

  it('reports errors per interface and keeps the others; the error clears when the cause does', () => {
    const { sw, ofproto } = make();
    sw.apply(
      config([
        iface('gone', { type: '' }),
        iface('x', { type: 'foo' }),
        iface('p', { type: 'patch' }),
        iface('q', { type: 'patch', options: new Map([['peer', 'q']]) }),
        iface('ok'),
      ]),
    );
    assert.equal(sw.iface('gone')?.error, 'could not open network device gone (No such device)');
    assert.equal(sw.iface('gone')?.ofport, -1);
    assert.equal(
      sw.iface('x')?.error,
      'could not open network device x (Address family not supported by protocol)',
    );
    assert.equal(sw.iface('p')?.error, "p: patch type requires valid 'peer' argument");
    assert.equal(sw.iface('q')?.error, 'q: patch peer must not be self');
    assert.equal(sw.iface('ok')?.ofport, 1);
    assert.ok(ofproto.ports.has('ok') && !ofproto.ports.has('gone'));
    sw.apply(config([iface('gone'), iface('ok')]));
    assert.equal(sw.iface('gone')?.error, null);
    assert.equal(sw.iface('gone')?.ofport, 2);
  });

  it('refuses dummy interfaces unless dummies are enabled', () => {
    const sw = new SwitchState(
      new NetdevDatapath(),
      new RecordingOfproto(),
      netdevOpener('none', () => {
        throw new NetdevError('EAFNOSUPPORT', 'x: unsupported interface type foo');
      }),
      QUIET,
      new Coverage(),
    );
    sw.apply(config([iface('d')], { datapathType: '' }));
    assert.equal(
      sw.iface('d')?.error,
      'could not open network device d (Address family not supported by protocol)',
    );
    assert.deepEqual(ifaceTypes('none'), ['geneve', 'gre', 'internal', 'patch', 'system', 'vxlan']);
  });

  it('updates VLAN settings in place and removes what the database dropped', () => {
    const { sw, ofproto, opened } = make();
    sw.apply(config([iface('a'), iface('b')]));
    const before = opened.length;
    sw.apply(config([iface('a', { tag: 10, trunks: [] }), iface('b')]));
    assert.equal(opened.length, before, 'a VLAN change does not reopen the device');
    assert.equal(ofproto.ports.get('a')?.tag, 10);
    sw.apply(config([iface('a', { tag: 10 })]));
    assert.equal(sw.iface('b'), undefined);
    assert.ok(!ofproto.ports.has('b'));
    assert.equal(sw.datapath.ports().length, 2);
    sw.apply({ ovsUuid: 'ovs', bridges: [], statsInterval: null });
    assert.equal(ofproto.bridges.size, 0);
    assert.equal(sw.datapath.ports().length, 0);
  });
});
