// The OpenFlow tables: priority order, masked matches, the mask a lookup reports, and translation of
// rules other than the default NORMAL flow (output, drop, tunnel metadata) through translateKey.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatActions } from '../../src/datapath/actions.js';
import { OfBridge } from '../../src/ofproto/bridge.js';
import { FlowMatch, FlowTable, Pipeline, Rule, type RuleSpec } from '../../src/ofproto/flow-table.js';
import { translateKey, type XlateEnv } from '../../src/ofproto/xlate.js';
import type { OfpAction } from '../../src/openflow/action-text.js';
import { fieldByName, type MatchField } from '../../src/openflow/fields.js';
import {
  K_DL_TYPE,
  K_IN_PORT,
  K_TUN_ID_LO,
  K_TUN_SRC,
  KEY_WORDS,
  newFlowKey,
} from '../../src/packet/flow-key.js';
import { bridgeSettings, makeKey, portSettings } from './helpers.js';

const NORMAL: OfpAction = { type: 'output', port: 0xfffa, maxLen: 0 };

function out(port: number): OfpAction {
  return { type: 'output', port, maxLen: 0 };
}

function rule(spec: RuleSpec): Rule {
  return new Rule(spec, 0);
}

function field(name: string): MatchField {
  const f = fieldByName(name);
  assert.ok(f, name);
  return f;
}

function match(fields: Record<number, [number, number]>): FlowMatch {
  const value = new Uint32Array(KEY_WORDS);
  const mask = new Uint32Array(KEY_WORDS);
  for (const [word, [v, m]] of Object.entries(fields)) {
    value[Number(word)] = v;
    mask[Number(word)] = m;
  }
  return new FlowMatch(value, mask);
}

describe('FlowTable', () => {
  test('the highest priority match wins; the mask covers every rule tried', () => {
    const t = new FlowTable();
    t.add(rule({ priority: 0, match: FlowMatch.catchAll(), actions: [NORMAL] }));
    t.add(rule({ priority: 100, match: match({ [K_DL_TYPE]: [0x0806, 0xffff] }), actions: [] }));
    t.add(rule({ priority: 50, match: match({ [K_IN_PORT]: [3, 0xffff_ffff] }), actions: [out(1)] }));
    assert.deepEqual(
      t.rules().map((r) => r.priority),
      [100, 50, 0],
    );
    const flow = newFlowKey();
    flow[K_IN_PORT] = 3;
    flow[K_DL_TYPE] = 0x0800;
    const wc = new Uint32Array(KEY_WORDS);
    assert.equal(t.lookup(flow, wc)?.priority, 50);
    assert.equal(wc[K_DL_TYPE], 0xffff);
    assert.equal(wc[K_IN_PORT], 0xffff_ffff);
    flow[K_IN_PORT] = 4;
    assert.equal(t.lookup(flow, new Uint32Array(KEY_WORDS))?.priority, 0);
  });

  test('adding an identical match at the same priority replaces the rule', () => {
    const t = new FlowTable();
    t.add(rule({ priority: 5, match: FlowMatch.catchAll(), actions: [] }));
    t.add(rule({ priority: 5, match: FlowMatch.catchAll(), actions: [NORMAL] }));
    assert.equal(t.rules().length, 1);
    assert.deepEqual(t.rules()[0].actions, [NORMAL]);
  });

  test('a new bridge has the default flow, priority=0 actions=NORMAL, in table 0', () => {
    const p = Pipeline.withDefaultFlow();
    assert.equal(p.tables.length, 1);
    assert.deepEqual(
      p.tables[0].rules().map((r) => [r.priority, r.actions]),
      [[0, [NORMAL]]],
    );
  });
});

describe('translating other rules', () => {
  function env(bridge: OfBridge): XlateEnv {
    return {
      inputOf: (dp) => {
        for (const port of bridge.ports.values()) if (port.settings.dpPort === dp) return { bridge, port };
        return undefined;
      },
      patchPeer: () => undefined,
      learn: (_br, mac, vlan, port, now) => {
        bridge.macs.learn(mac, vlan, port, now);
      },
      learnFlow: () => {},
      controller: () => 0,
      warn: () => {},
    };
  }

  test('output:PORT sends to that port with the VLANs unchanged, never to the input port', () => {
    const br = new OfBridge(bridgeSettings('br0'), () => {});
    br.putPort(portSettings('p1', 1, 11));
    br.putPort(portSettings('p2', 2, 12, { tag: 5 }));
    br.pipeline.add(
      0,
      rule({
        priority: 10,
        match: match({ [K_IN_PORT]: [1, 0xffff_ffff] }),
        actions: [out(2), out(1), out(9)],
      }),
    );
    const key = makeKey({ inPort: 11, src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02', vlan: { vid: 7 } });
    const r = translateKey(key, 0, env(br));
    assert.equal(formatActions(r.actions), '12');
    r.onUsed?.(1, 1, 60, false);
    assert.equal(br.macs.size, 0);
  });

  test('a rule with no actions drops; a table miss drops', () => {
    const br = new OfBridge(bridgeSettings('br0'), () => {});
    br.putPort(portSettings('p1', 1, 11));
    br.putPort(portSettings('p2', 2, 12));
    br.pipeline.add(0, rule({ priority: 10, match: match({ [K_IN_PORT]: [1, 0xffff_ffff] }), actions: [] }));
    const key = makeKey({ inPort: 11, src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' });
    assert.equal(formatActions(translateKey(key, 0, env(br)).actions), 'drop');
    br.pipeline.tables[0].clear();
    assert.equal(formatActions(translateKey(key, 0, env(br)).actions), 'drop');
  });

  test('tunnel metadata: rules match tun_id/tun_src, and set_field picks the tunnel endpoint', () => {
    const br = new OfBridge(bridgeSettings('br0'), () => {});
    br.putPort(portSettings('p1', 1, 11));
    br.putPort(portSettings('tun', 2, 12));
    br.putPort(portSettings('p3', 3, 13));
    // From the tunnel: tun_id 5 from 10.10.10.2 goes to p3, anything else is dropped.
    br.pipeline.add(
      0,
      rule({
        priority: 20,
        match: match({
          [K_IN_PORT]: [2, 0xffff_ffff],
          [K_TUN_ID_LO]: [5, 0xffff_ffff],
          [K_TUN_SRC]: [0x0a0a0a02, 0xffff_ffff],
        }),
        actions: [out(3)],
      }),
    );
    br.pipeline.add(0, rule({ priority: 10, match: match({ [K_IN_PORT]: [2, 0xffff_ffff] }), actions: [] }));
    // From p1: into the tunnel with tun_id 7 toward 10.10.10.9 (a remote_ip=flow, key=flow port).
    const tunId = field('tun_id');
    const tunDst = field('tun_dst');
    br.pipeline.add(
      0,
      rule({
        priority: 10,
        match: match({ [K_IN_PORT]: [1, 0xffff_ffff] }),
        actions: [
          { type: 'set_field', field: tunId, value: 7n, mask: 0xffff_ffff_ffff_ffffn, load: false },
          { type: 'set_field', field: tunDst, value: 0x0a0a0a09n, mask: 0xffff_ffffn, load: false },
          out(2),
          out(3),
        ],
      }),
    );
    const fromTunnel = (tunId: number) => {
      const key = makeKey({ inPort: 12, src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' });
      key[K_TUN_ID_LO] = tunId;
      key[K_TUN_SRC] = 0x0a0a0a02;
      return translateKey(key, 0, env(br));
    };
    const hit = fromTunnel(5);
    assert.equal(formatActions(hit.actions), '13');
    assert.equal(hit.mask[K_TUN_ID_LO], 0xffff_ffff, 'the cached flow matches tun_id');
    assert.equal(formatActions(fromTunnel(6).actions), 'drop');
    const sent = translateKey(
      makeKey({ inPort: 11, src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02' }),
      0,
      env(br),
    );
    assert.equal(
      formatActions(sent.actions),
      'set(tunnel(tun_id=0x7,dst=10.10.10.9,ttl=64,flags(df|key))),12,13',
    );
  });
});
