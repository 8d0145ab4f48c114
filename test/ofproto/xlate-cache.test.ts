// What the datapath caches rely on: exact megaflow masks, the tags a translation names, the
// invalidations ofproto sends when learned MACs or ports change, and onUsed keeping MACs alive.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ofproto, PortSettings } from '../../src/ofproto/ofproto.js';
import {
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_RECIRC,
  K_VLAN0,
  K_VLAN1,
  KEY_WORDS,
} from '../../src/packet/flow-key.js';
import { bridgeSettings, makeKey, makeOfproto, portSettings } from './helpers.js';

const A = '00:00:00:00:00:0a';
const B = '00:00:00:00:00:0b';
const BCAST = 'ff:ff:ff:ff:ff:ff';
const ALL = 0xffff_ffff;

function setup(ports: Partial<PortSettings>[] = [{}, {}, {}]) {
  const { ofp, dp, warnings } = makeOfproto();
  ofp.setBridge(bridgeSettings('br0'));
  ports.forEach((p, i) => {
    ofp.setPort('br0', portSettings(p.name ?? `p${i + 1}`, i + 1, i + 1, p));
  });
  dp.take();
  return { ofp, dp, warnings };
}

/** The mask as {word: value} for its non-zero words. */
function maskOf(mask: Uint32Array): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < KEY_WORDS; i++) if (mask[i] !== 0) out[i] = mask[i];
  return out;
}

const BASE_MASK = {
  [K_IN_PORT]: ALL,
  [K_RECIRC]: ALL,
  [K_DL_DST_HI]: 0xffff,
  [K_DL_DST_LO]: ALL,
  [K_DL_SRC_HI]: 0xffff,
  [K_DL_SRC_LO]: ALL,
  [K_DL_TYPE]: ALL,
  [K_VLAN0]: 0x1fff,
};

function learnA(ofp: Ofproto, now = 0) {
  return ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST }), now);
}

describe('megaflow masks', () => {
  test('IPv4: in_port, recirc_id, both MACs, ethertype, VLAN presence and VID, fragment bits', () => {
    const { ofp } = setup();
    const r = learnA(ofp);
    assert.deepEqual(maskOf(r.mask), { ...BASE_MASK, [K_NW]: 0x0300_0000 });
  });

  test('neither IP nor ARP: no network-layer bits', () => {
    const { ofp } = setup();
    const r = ofp.translate(makeKey({ inPort: 1, src: A, dst: B, dlType: 0x88cc }), 0);
    assert.deepEqual(maskOf(r.mask), BASE_MASK);
  });

  test('broadcast ARP requests also expose opcode and addresses (OVS checks for gratuitous ARP)', () => {
    const { ofp } = setup();
    const req = ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST, dlType: 0x0806, nwProto: 1 }), 0);
    assert.deepEqual(maskOf(req.mask), { ...BASE_MASK, [K_NW]: 0xff, [K_NW_SRC]: ALL, [K_NW_DST]: ALL });
    const reply = ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST, dlType: 0x0806, nwProto: 2 }), 0);
    assert.deepEqual(maskOf(reply.mask), { ...BASE_MASK, [K_NW]: 0xff });
    const unicast = ofp.translate(makeKey({ inPort: 1, src: A, dst: B, dlType: 0x0806, nwProto: 1 }), 0);
    assert.deepEqual(maskOf(unicast.mask), BASE_MASK);
  });

  test('a tagged frame kept tagged: VID only (PCP wildcarded), and the header count', () => {
    const { ofp } = setup();
    const r = ofp.translate(
      makeKey({ inPort: 1, src: A, dst: BCAST, dlType: 0x88cc, vlan: { vid: 5, pcp: 3 } }),
      0,
    );
    assert.deepEqual(maskOf(r.mask), { ...BASE_MASK, [K_VLAN1]: 0x1000 });
  });

  test('popping a tag depends on all of it', () => {
    const { ofp } = setup([{}, { tag: 5 }]);
    const r = ofp.translate(
      makeKey({ inPort: 1, src: A, dst: BCAST, dlType: 0x88cc, vlan: { vid: 5, pcp: 3 } }),
      0,
    );
    assert.deepEqual(maskOf(r.mask), { ...BASE_MASK, [K_VLAN0]: ALL, [K_VLAN1]: 0x1fff });
  });

  test('a drop for a disallowed VID still names the VID it looked at', () => {
    const { ofp } = setup([{ tag: 10 }, {}]);
    const r = ofp.translate(
      makeKey({ inPort: 1, src: A, dst: BCAST, dlType: 0x88cc, vlan: { vid: 7, pcp: 5 } }),
      0,
    );
    assert.equal(r.actions.length, 0);
    assert.deepEqual(maskOf(r.mask), { ...BASE_MASK, [K_VLAN1]: 0x1000 });
  });
});

describe('tags and invalidation', () => {
  test('a translation names its bridge, the source entry it learned and the destination it looked up', () => {
    const { ofp } = setup();
    const miss = ofp.translate(makeKey({ inPort: 2, src: B, dst: A }), 0);
    assert.deepEqual(miss.tags, [
      'bridge:br0',
      'flows:br0',
      'mac:br0:0:00:00:00:00:00:0b',
      'mac:br0:0:00:00:00:00:00:0a',
    ]);
    learnA(ofp);
    const hit = ofp.translate(makeKey({ inPort: 2, src: B, dst: A }), 0);
    assert.deepEqual(hit.tags, miss.tags);
    assert.deepEqual(
      learnA(ofp).tags,
      ['bridge:br0', 'flows:br0', 'mac:br0:0:00:00:00:00:00:0a'],
      'broadcast: no lookup',
    );
    assert.equal(miss.install, true);
  });

  test('learning a new MAC invalidates its entry tag; a refresh on the same port does not', () => {
    const { ofp, dp } = setup();
    learnA(ofp, 0);
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
    learnA(ofp, 5000);
    assert.deepEqual(dp.take(), []);
  });

  test('a MAC move invalidates; so do ageing and flushing', () => {
    const { ofp, dp } = setup();
    learnA(ofp, 0);
    dp.take();
    ofp.translate(makeKey({ inPort: 2, src: A, dst: BCAST }), 1000);
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
    ofp.run(300_999);
    assert.deepEqual(dp.take(), []);
    ofp.run(301_000);
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
    learnA(ofp, 400_000);
    dp.take();
    ofp.fdbFlush('br0');
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
  });

  test('eviction at mac-table-size invalidates the evicted entry', () => {
    const { ofp, dp } = setup();
    ofp.setBridge(bridgeSettings('br0', { macTableSize: 10 }));
    for (let i = 0; i < 11; i++) {
      ofp.translate(
        makeKey({ inPort: 1, src: `00:00:00:00:01:${String(i).padStart(2, '0')}`, dst: BCAST }),
        i,
      );
    }
    const tags = dp.take();
    assert.equal(tags.length, 12);
    assert.equal(tags[10], 'mac:br0:0:00:00:00:00:01:00', 'the oldest goes before the new one is learned');
  });

  test('port changes invalidate the bridge; an identical setPort changes nothing', () => {
    const { ofp, dp } = setup();
    ofp.setPort('br0', portSettings('p2', 2, 2));
    assert.deepEqual(dp.take(), []);
    ofp.setPort('br0', portSettings('p2', 2, 2, { tag: 9 }));
    assert.deepEqual(dp.take(), ['bridge:br0', 'port:p2', 'dpport:2']);
    ofp.removePort('br0', 'p3');
    assert.deepEqual(dp.take(), ['bridge:br0', 'port:p3', 'dpport:3']);
    ofp.removePort('br0', 'p3');
    assert.deepEqual(dp.take(), [], 'removing twice is a no-op');
  });

  test('a port VLAN change forgets the MACs learned on it; removal forgets them in every bridge', () => {
    const { ofp, dp } = setup();
    ofp.setBridge(bridgeSettings('br1'));
    ofp.setPort('br1', portSettings('q1', 1, 11));
    ofp.translate(makeKey({ inPort: 11, src: A, dst: BCAST }), 0);
    learnA(ofp);
    ofp.translate(makeKey({ inPort: 2, src: B, dst: BCAST }), 0);
    dp.take();
    ofp.setPort('br0', portSettings('p2', 2, 2, { trunks: [1, 2] }));
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0b', 'bridge:br0', 'port:p2', 'dpport:2']);
    ofp.removePort('br0', 'p1');
    assert.deepEqual(dp.take(), [
      'mac:br0:0:00:00:00:00:00:0a',
      'mac:br1:0:00:00:00:00:00:0a',
      'bridge:br0',
      'port:p1',
      'dpport:1',
    ]);
    assert.equal(ofp.fdbShow('br1', 0), ' port  VLAN  MAC                Age\n');
  });

  test('removing a bridge invalidates it and forgets its ports', () => {
    const { ofp, dp } = setup();
    learnA(ofp);
    dp.take();
    ofp.removeBridge('br0');
    const tags = dp.take();
    assert.ok(tags.includes('mac:br0:0:00:00:00:00:00:0a'));
    assert.equal(tags.at(-1), 'bridge:br0');
    assert.deepEqual(ofp.bridgeNames(), []);
    assert.equal(ofp.translate(makeKey({ inPort: 1, src: A, dst: BCAST }), 0).actions.length, 0);
  });
});

describe('onUsed', () => {
  test('traffic served from the cache keeps the source MAC alive past the ageing time', () => {
    const { ofp, dp } = setup();
    const r = learnA(ofp, 0);
    assert.ok(r.onUsed);
    r.onUsed(200_000, 1, 60, false);
    ofp.run(310_000);
    assert.match(ofp.fdbShow('br0', 310_000), /00:00:00:00:00:0a {2}110\n$/);
    dp.take();
    ofp.run(500_000);
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
  });

  test('it re-learns where the flow says, moving the MAC back as OVS revalidators do', () => {
    const { ofp, dp } = setup();
    const r = learnA(ofp, 0);
    ofp.translate(makeKey({ inPort: 2, src: A, dst: BCAST }), 1000);
    dp.take();
    r.onUsed?.(2000, 1, 60, false);
    assert.deepEqual(dp.take(), ['mac:br0:0:00:00:00:00:00:0a']);
    assert.match(ofp.fdbShow('br0', 2000), / {4}1 {5}0 {2}00:00:00:00:00:0a/);
  });

  test('after the port is gone it does nothing', () => {
    const { ofp } = setup();
    const r = learnA(ofp, 0);
    ofp.removePort('br0', 'p1');
    r.onUsed?.(1000, 1, 60, false);
    assert.equal(ofp.fdbShow('br0', 1000), ' port  VLAN  MAC                Age\n');
  });
});
