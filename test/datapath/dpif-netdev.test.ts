// The userspace datapath on dummy ports with a scripted upcall handler: the first packet of a flow is
// translated and installed, later ones hit the caches; invalidation by tag and by port, idle expiry, the
// revalidator's onUsed, VLAN push/pop on the frame bytes, copies for outputs a later action alters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionsBuilder } from '../../src/datapath/actions.js';
import { MAX_IDLE_MS, NetdevDatapath } from '../../src/datapath/dpif-netdev.js';
import type { UpcallHandler, XlateResult } from '../../src/datapath/upcall.js';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { K_DL_DST_HI, K_DL_DST_LO, K_DL_TYPE, K_IN_PORT, KEY_WORDS } from '../../src/packet/flow-key.js';

/** An Ethernet frame: dst/src MAC last bytes, optional 802.1Q tag, IPv4 ethertype, 46 bytes of payload. */
function frame(dst: number, src: number, vid?: number): Uint8Array {
  const tag = vid === undefined ? [] : [0x81, 0x00, vid >> 8, vid & 255];
  return Uint8Array.from([
    0,
    0,
    0,
    0,
    0,
    dst,
    0,
    0,
    0,
    0,
    0,
    src,
    ...tag,
    0x88,
    0xb5,
    ...new Array(46).fill(7),
  ]);
}

function maskOf(...words: number[]): Uint32Array {
  const m = new Uint32Array(KEY_WORDS);
  for (const w of words) m[w] = 0xffffffff;
  return m;
}

/** Sends a frame for dst MAC ...:0N to port N; counts translations; actions can be overridden. */
class ScriptedHandler implements UpcallHandler {
  translations = 0;
  used = 0;
  userspaceFrames: Uint8Array[] = [];
  actionsFor: ((dst: number) => Uint32Array) | undefined;

  translate(key: Uint32Array): XlateResult {
    this.translations++;
    const dst = key[K_DL_DST_LO] & 255;
    return {
      actions: this.actionsFor?.(dst) ?? new ActionsBuilder().output(dst).build(),
      mask: maskOf(K_IN_PORT, K_DL_DST_HI, K_DL_DST_LO, K_DL_TYPE),
      tags: [`dst:${dst}`],
      install: true,
      onUsed: () => {
        this.used++;
      },
    };
  }

  userspace(_reason: number, _key: Uint32Array, buf: Uint8Array, offset: number, length: number): void {
    this.userspaceFrames.push(buf.slice(offset, offset + length));
  }
}

function setup(ports = 3): {
  dp: NetdevDatapath;
  nd: DummyNetdev[];
  h: ScriptedHandler;
  clock: { now: number };
} {
  const clock = { now: 1000 };
  const dp = new NetdevDatapath(() => clock.now);
  const h = new ScriptedHandler();
  dp.setUpcallHandler(h);
  const nd: DummyNetdev[] = [];
  for (let i = 1; i <= ports; i++) {
    const d = new DummyNetdev(`p${i}`);
    assert.equal(dp.addPort(d).number, i);
    nd.push(d);
  }
  return { dp, nd, h, clock };
}

test('the first packet is translated, the rest hit the caches', () => {
  const { dp, nd, h } = setup();
  nd[0].receive(frame(2, 1), frame(2, 1), frame(2, 1));
  nd[0].receive(frame(2, 1));
  assert.equal(h.translations, 1);
  assert.deepEqual(dp.stats(), { hit: 3, missed: 1, lost: 0, flows: 1, masks: 1 });
  const sent = nd[1].takeSent();
  assert.equal(sent.length, 4);
  assert.deepEqual(sent[0], frame(2, 1));
  assert.equal(nd[2].takeSent().length, 0);
});

test('a different flow through the same mask is a new upcall; megaflow catches keys the EMC never saw', () => {
  const { dp, nd, h } = setup();
  nd[0].receive(frame(2, 1));
  nd[0].receive(frame(2, 9)); // other source, same masked key: megaflow hit, no upcall
  assert.equal(h.translations, 1);
  nd[0].receive(frame(3, 1));
  assert.equal(h.translations, 2);
  assert.equal(dp.stats().flows, 2);
});

test('invalidate(tag) removes exactly the flows that depend on it', () => {
  const { dp, nd, h } = setup();
  nd[0].receive(frame(2, 1), frame(3, 1));
  assert.equal(dp.stats().flows, 2);
  dp.invalidate('dst:2');
  assert.equal(dp.stats().flows, 1);
  nd[0].receive(frame(3, 1));
  assert.equal(h.translations, 2, 'the dst:3 flow is still cached');
  nd[0].receive(frame(2, 1));
  assert.equal(h.translations, 3, 'the dst:2 flow was translated again');
});

test('removing a port removes flows into and out of it', () => {
  const { dp, nd } = setup();
  nd[0].receive(frame(2, 1), frame(3, 1));
  nd[2].receive(frame(1, 3));
  assert.equal(dp.stats().flows, 3);
  dp.removePort(3);
  assert.equal(dp.stats().flows, 1);
  assert.equal(dp.port(3), undefined);
  nd[2].receive(frame(1, 3));
  assert.equal(nd[0].takeSent().length, 1, 'a removed port no longer delivers');
});

test('idle flows expire; used flows are reported to onUsed', () => {
  const { dp, nd, h, clock } = setup();
  nd[0].receive(frame(2, 1));
  clock.now += 1000;
  dp.tick(clock.now);
  assert.equal(h.used, 1);
  dp.tick(clock.now);
  assert.equal(h.used, 1, 'not used since the last sweep');
  clock.now += MAX_IDLE_MS + 1;
  dp.tick(clock.now);
  assert.equal(dp.stats().flows, 0);
});

test('push_vlan and pop_vlan rewrite the frame; an output before a push is sent unmodified', () => {
  const { nd, h } = setup();
  h.actionsFor = (dst) => new ActionsBuilder().output(dst).pushVlan(10).output(3).build();
  nd[0].receive(frame(2, 1));
  nd[0].receive(frame(2, 1));
  for (const f of nd[1].takeSent()) assert.deepEqual(f, frame(2, 1));
  for (const f of nd[2].takeSent()) assert.deepEqual(f, frame(2, 1, 10));
  h.actionsFor = () => new ActionsBuilder().popVlan().output(3).build();
  nd[0].receive(frame(4, 1, 10));
  assert.deepEqual(nd[2].takeSent(), [frame(4, 1)]);
});

test('a frame shorter than an Ethernet header is dropped and counted', () => {
  const { dp, nd, h } = setup();
  nd[0].receive(Uint8Array.from([1, 2, 3]));
  assert.equal(h.translations, 0);
  assert.equal(dp.stats().lost, 1);
});

test('userspace actions reach the handler; execute() runs actions on a built frame', () => {
  const { dp, nd, h } = setup();
  h.actionsFor = () => new ActionsBuilder().userspace(1).build();
  nd[0].receive(frame(5, 1));
  assert.deepEqual(h.userspaceFrames, [frame(5, 1)]);
  dp.execute(frame(9, 9), new ActionsBuilder().output(2).output(3).build(), 0);
  assert.deepEqual(nd[1].takeSent(), [frame(9, 9)]);
  assert.deepEqual(nd[2].takeSent(), [frame(9, 9)]);
});

test('dumpFlows prints each cached flow with its counters and actions', () => {
  const { dp, nd, clock } = setup();
  nd[0].receive(frame(2, 1), frame(2, 1));
  clock.now += 250;
  const lines = dp.dumpFlows(clock.now);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /in_port\(1\)/);
  assert.match(lines[0], /, packets:2, bytes:120, used:0\.250s, actions:2$/);
});
