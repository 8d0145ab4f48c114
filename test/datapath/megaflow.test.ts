// The megaflow and exact-match caches against a plain Map model: random inserts, lookups and removals over
// several masks (exercising linear probing, growth and backward-shift deletion).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExactMatchCache } from '../../src/datapath/emc.js';
import { MegaflowCache } from '../../src/datapath/megaflow.js';
import { hashKey } from '../../src/packet/extract.js';
import { K_DL_DST_LO, K_IN_PORT, K_NW_DST, KEY_WORDS } from '../../src/packet/flow-key.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function maskOf(...words: number[]): Uint32Array {
  const m = new Uint32Array(KEY_WORDS);
  for (const w of words) m[w] = 0xffffffff;
  return m;
}

test('megaflow cache agrees with a model under random insert/remove', () => {
  const rand = rng(7);
  const masks = [maskOf(K_IN_PORT), maskOf(K_IN_PORT, K_DL_DST_LO), maskOf(K_NW_DST)];
  const cache = new MegaflowCache();
  const model = new Map<number, { masked: Uint32Array; sub: string; mask: Uint32Array }>();
  let next = 0;
  for (let step = 0; step < 5000; step++) {
    if (model.size < 300 && rand() % 3 !== 0) {
      const mask = masks[rand() % masks.length];
      const key = new Uint32Array(KEY_WORDS);
      key[K_IN_PORT] = rand() % 50;
      key[K_DL_DST_LO] = rand() % 50;
      key[K_NW_DST] = rand() % 50;
      for (let w = 0; w < KEY_WORDS; w++) key[w] &= mask[w];
      if (cache.lookup(key) >= 0) continue; // an overlapping flow exists already
      const fid = next++;
      model.set(fid, { masked: key, sub: cache.insert(key, mask, fid), mask });
    } else if (model.size > 0) {
      const ids = [...model.keys()];
      const fid = ids[rand() % ids.length];
      const f = model.get(fid);
      if (f === undefined) continue;
      cache.remove(f.sub, f.masked, fid);
      model.delete(fid);
    }
    for (const [fid, f] of model) {
      // The flow itself or another whose mask also matches this key (flows in different subtables overlap).
      const got = model.get(cache.lookup(f.masked));
      assert.ok(got !== undefined, `flow ${fid} not found at step ${step}`);
      assert.ok(
        got.masked.every((v, w) => (f.masked[w] & got.mask[w]) >>> 0 === v),
        `flow ${fid}: wrong match at step ${step}`,
      );
    }
  }
  assert.ok(cache.masks <= masks.length);
  const all = [...model.values()];
  for (const [fid, f] of model) cache.remove(f.sub, f.masked, fid);
  for (const f of all) assert.equal(cache.lookup(f.masked), -1);
  assert.equal(cache.masks, 0);
});

test('exact-match cache misses once the flow generation changes', () => {
  const emc = new ExactMatchCache(16);
  const gens = new Uint32Array(4);
  const key = new Uint32Array(KEY_WORDS);
  key[K_IN_PORT] = 3;
  const h = hashKey(key, null, 0);
  assert.equal(emc.lookup(key, h, gens), -1);
  emc.insert(key, h, 2, gens[2], gens);
  assert.equal(emc.lookup(key, h, gens), 2);
  const other = Uint32Array.from(key);
  other[K_NW_DST] = 1;
  assert.equal(emc.lookup(other, hashKey(other, null, 0), gens), -1);
  gens[2]++;
  assert.equal(emc.lookup(key, h, gens), -1);
});
