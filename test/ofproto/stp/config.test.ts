// Open vSwitch's STP other_config knobs, read with the same defaults and quirks as vswitchd/bridge.c.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stpBridgeSettings, stpPortSettings } from '../../../src/ofproto/stp/config.js';

describe('STP other_config knobs', () => {
  it('defaults: priority 32768 on the bridge MAC, 2 s / 20 s / 15 s', () => {
    const s = stpBridgeSettings('br0', {}, 0x5254001234abn);
    assert.deepEqual(s, {
      bridgeId: 0x8000_5254001234abn,
      helloTime: 2000,
      maxAge: 20000,
      forwardDelay: 15000,
      warnings: [],
    });
  });

  it('reads stp-system-id and stp-priority; stp-hello-time in ms, the others in seconds (as OVS)', () => {
    const s = stpBridgeSettings(
      'br0',
      {
        'stp-system-id': '52:54:00:00:00:02',
        'stp-priority': '4096',
        'stp-hello-time': '1000',
        'stp-max-age': '10',
        'stp-forward-delay': '6',
      },
      1n,
    );
    assert.equal(s.bridgeId, 0x1000_525400000002n);
    assert.deepEqual([s.helloTime, s.maxAge, s.forwardDelay], [1000, 10000, 6000]);
  });

  it('falls back to the bridge MAC on a bad stp-system-id, with a warning', () => {
    const s = stpBridgeSettings('br0', { 'stp-system-id': 'nonsense', 'stp-priority': 'x' }, 0xan);
    assert.equal(s.bridgeId, 0x8000_00000000000an);
    assert.equal(s.warnings.length, 1);
  });

  it('port knobs: stp-enable, stp-port-num (1-255), stp-port-priority, stp-path-cost', () => {
    assert.deepEqual(stpPortSettings({}), { enabled: true, portNum: undefined, priority: 128, pathCost: 2 });
    assert.deepEqual(stpPortSettings({}, 100).pathCost, 19);
    assert.deepEqual(
      stpPortSettings({
        'stp-enable': 'false',
        'stp-port-num': '7',
        'stp-port-priority': '0x40',
        'stp-path-cost': '7',
      }),
      { enabled: false, portNum: 7, priority: 64, pathCost: 7 },
    );
    assert.equal(stpPortSettings({ 'stp-port-num': '0' }).portNum, 'invalid');
    assert.equal(stpPortSettings({ 'stp-port-num': '256' }).portNum, 'invalid');
  });
});
