// `fdb/show` and `fdb/flush` through Ofproto: Open vSwitch 3.1's exact text (the layout was taken from a
// real ovs-vswitchd's reply, see ovs-interop.test.ts for the live comparison), its order and ages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatFdbShow, ofportToString } from '../../src/ofproto/fdb-show.js';
import { OFPP_LOCAL, OfprotoError } from '../../src/ofproto/ofproto.js';
import { bridgeSettings, makeKey, makeOfproto, portSettings } from './helpers.js';

const BCAST = 'ff:ff:ff:ff:ff:ff';

describe('fdb/show', () => {
  test('header, least recently used first, LOCAL by name, ages in whole seconds', () => {
    const { ofp } = makeOfproto();
    ofp.setBridge(bridgeSettings('br0'));
    ofp.setPort('br0', portSettings('br0', OFPP_LOCAL, 1));
    ofp.setPort('br0', portSettings('p1', 1, 2, { tag: 10 }));
    ofp.setPort('br0', portSettings('p4', 4, 5));
    ofp.setPort('br0', portSettings('p12', 12, 6, { tag: 4094 }));
    ofp.translate(makeKey({ inPort: 2, src: '00:00:00:00:00:01', dst: BCAST }), 0);
    ofp.translate(makeKey({ inPort: 1, src: '00:00:00:00:00:0a', dst: BCAST }), 9_000);
    ofp.translate(makeKey({ inPort: 5, src: 'aa:bb:cc:dd:ee:ff', dst: BCAST, vlan: { vid: 10 } }), 10_500);
    ofp.translate(makeKey({ inPort: 6, src: '02:00:00:00:00:0c', dst: BCAST }), 10_999);
    assert.equal(
      ofp.fdbShow('br0', 12_000),
      [
        ' port  VLAN  MAC                Age',
        '    1    10  00:00:00:00:00:01   12',
        'LOCAL     0  00:00:00:00:00:0a    3',
        '    4    10  aa:bb:cc:dd:ee:ff    1',
        '   12  4094  02:00:00:00:00:0c    1',
        '',
      ].join('\n'),
    );
    ofp.translate(makeKey({ inPort: 2, src: '00:00:00:00:00:01', dst: BCAST }), 12_000);
    assert.match(
      ofp.fdbShow('br0', 12_000),
      /0c {4}1\n {4}1 {4}10 {2}00:00:00:00:00:01 {4}0\n$/,
      'refreshed: last',
    );
  });

  test('ages past 999 s widen the column as printf does; expired entries are not shown', () => {
    const { ofp } = makeOfproto();
    ofp.setBridge(bridgeSettings('br0', { macAgingTime: 3600 }));
    ofp.setPort('br0', portSettings('p1', 1, 1));
    ofp.translate(makeKey({ inPort: 1, src: '00:00:00:00:00:01', dst: BCAST }), 0);
    assert.equal(ofp.fdbShow('br0', 1_234_567).split('\n')[1], '    1     0  00:00:00:00:00:01  1234');
    assert.equal(ofp.fdbShow('br0', 3_600_000), ' port  VLAN  MAC                Age\n');
  });

  test('an unknown bridge is an error with OVS unixctl text', () => {
    const { ofp } = makeOfproto();
    assert.throws(
      () => ofp.fdbShow('nope', 0),
      (e: unknown) =>
        e instanceof OfprotoError && e.code === 'no such bridge' && e.message === 'no such bridge',
    );
    assert.throws(() => ofp.fdbFlush('nope'), OfprotoError);
  });

  test('fdb/flush with no bridge empties every table', () => {
    const { ofp } = makeOfproto();
    for (const br of ['br0', 'br1']) {
      ofp.setBridge(bridgeSettings(br));
      ofp.setPort(br, portSettings(`${br}-p`, 1, br === 'br0' ? 1 : 2));
    }
    ofp.translate(makeKey({ inPort: 1, src: '00:00:00:00:00:01', dst: BCAST }), 0);
    ofp.translate(makeKey({ inPort: 2, src: '00:00:00:00:00:02', dst: BCAST }), 0);
    ofp.fdbFlush(null);
    for (const br of ['br0', 'br1'])
      assert.equal(ofp.fdbShow(br, 0), ' port  VLAN  MAC                Age\n');
  });

  test('reserved port numbers print by name', () => {
    assert.equal(ofportToString(OFPP_LOCAL), 'LOCAL');
    assert.equal(ofportToString(0xfffd), 'CONTROLLER');
    assert.equal(ofportToString(65279), '65279');
    assert.equal(formatFdbShow([]), ' port  VLAN  MAC                Age\n');
  });
});

describe('configuration queries', () => {
  test('bridgeNames sorted; portsOf in the order added, as copies', () => {
    const { ofp } = makeOfproto();
    ofp.setBridge(bridgeSettings('br1'));
    ofp.setBridge(bridgeSettings('br0'));
    ofp.setPort('br0', portSettings('z', 2, 2));
    ofp.setPort('br0', portSettings('a', 1, 1, { trunks: [3] }));
    assert.deepEqual(ofp.bridgeNames(), ['br0', 'br1']);
    const ports = ofp.portsOf('br0');
    assert.deepEqual(
      ports.map((p) => p.name),
      ['z', 'a'],
    );
    assert.deepEqual(ports[1].trunks, [3]);
    assert.deepEqual(ofp.portsOf('nope'), []);
    assert.throws(() => ofp.setPort('nope', portSettings('x', 1, 1)), OfprotoError);
  });

  test('a port name is unique across bridges: setting it elsewhere moves it', () => {
    const { ofp } = makeOfproto();
    ofp.setBridge(bridgeSettings('br0'));
    ofp.setBridge(bridgeSettings('br1'));
    ofp.setPort('br0', portSettings('p', 1, 1));
    ofp.setPort('br1', portSettings('p', 1, 1));
    assert.deepEqual(ofp.portsOf('br0'), []);
    assert.equal(ofp.portsOf('br1').length, 1);
  });
});
