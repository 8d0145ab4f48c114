// The OpenFlow tables: priority order, masked matches, the mask a lookup reports, and translation of
// rules other than the default NORMAL flow (output, drop, tunnel metadata) through translateKey.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatActions } from '../../src/datapath/actions.js';
import { OfBridge } from '../../src/ofproto/bridge.js';
import {
  FlowMatch,
  FlowTable,
  Pipeline,
  Rule,
  type RuleSpec,
  sameActions,
  shareActions,
} from '../../src/ofproto/flow-table.js';
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

describe('rule storage', () => {
  test("a rule's numbers live in a table row while it is in a table and go with it when it leaves", () => {
    const p = new Pipeline();
    const r = new Rule(
      { priority: 9, match: match({ [K_IN_PORT]: [2, 0xffff_ffff] }), actions: [out(1)] },
      500,
    );
    r.cookie = 0x1_0000_0002n;
    r.flags = 1;
    p.add(7, r);
    r.count(3, 300, 800);
    r.importance = 40;
    assert.deepEqual(
      [r.tableId, r.cookie, r.flags, r.importance, r.packets, r.bytes, r.used, r.created],
      [7, 0x1_0000_0002n, 1, 40, 3, 300, 800, 500],
    );
    assert.ok(p.remove(r));
    assert.deepEqual([r.tableId, r.cookie, r.packets, r.bytes, r.used], [7, 0x1_0000_0002n, 3, 300, 800]);
    // Another rule takes the freed row: the removed one keeps its own numbers.
    const other = new Rule({ priority: 1, match: FlowMatch.catchAll(), actions: [] }, 900);
    p.add(0, other);
    assert.deepEqual([other.packets, other.cookie, other.created], [0, 0n, 900]);
    assert.equal(r.packets, 3);
    // Back in a table, it carries them in.
    p.add(2, r);
    assert.deepEqual([r.tableId, r.packets, r.cookie], [2, 3, 0x1_0000_0002n]);
  });

  test('a replaced rule leaves with its numbers; timeouts are tracked per table', () => {
    const t = new FlowTable();
    const m = match({ [K_DL_TYPE]: [0x0800, 0xffff] });
    const a = new Rule({ priority: 5, match: m, actions: [NORMAL], idleTimeout: 10 }, 0);
    t.add(a);
    assert.ok(t.hasTimeouts);
    a.count(1, 60, 1);
    const b = new Rule({ priority: 5, match: m, actions: [] }, 2);
    assert.equal(t.add(b), a);
    assert.equal(t.hasTimeouts, false, 'the rule with a timeout left');
    assert.deepEqual([a.packets, a.bytes, a.idleTimeout], [1, 60, 10]);
    assert.equal(t.add(b), null, 'adding a rule already present changes nothing');
    assert.equal(t.size, 1);
  });

  test('rules with equal actions share one list', () => {
    const x = shareActions([{ type: 'output', port: 7, maxLen: 0 }]);
    const y = shareActions([{ type: 'output', port: 7, maxLen: 0 }]);
    const z = shareActions([{ type: 'output', port: 8, maxLen: 0 }]);
    assert.equal(x, y);
    assert.notEqual(x, z);
    assert.ok(
      sameActions(
        [{ type: 'note', data: Uint8Array.of(1, 2) }],
        [{ type: 'note', data: Uint8Array.of(1, 2) }],
      ),
    );
    assert.ok(
      !sameActions(
        [{ type: 'note', data: Uint8Array.of(1, 2) }],
        [{ type: 'note', data: Uint8Array.of(1, 3) }],
      ),
    );
  });

  test('a match keeps only its masked words, more than four of them too', () => {
    const value = new Uint32Array(KEY_WORDS);
    const mask = new Uint32Array(KEY_WORDS);
    for (const w of [0, 3, 5, 8, 13, 21]) {
      value[w] = 0xdead_0000 + w;
      mask[w] = 0xffff_00ff;
    }
    const m = new FlowMatch(value, mask);
    const v = m.value;
    for (let w = 0; w < KEY_WORDS; w++) assert.equal(v[w], (value[w] & mask[w]) >>> 0, `word ${w}`);
    assert.ok(m.equals(new FlowMatch(value, mask)));
    assert.ok(m.matches(value));
    const flow = Uint32Array.from(value);
    flow[21] ^= 0x100;
    assert.ok(m.matches(flow), 'a bit outside the mask');
    flow[21] ^= 0x101;
    assert.ok(!m.matches(flow), 'a bit inside the mask');
    assert.equal(new FlowMatch(value, mask).mask, m.mask, 'equal masks are one shared array');
  });
});
