// IdleCollector (src/util/heap.ts): a full collection once a burst of at least `threshold` changes has
// been quiet for `quietMs`, and none for fewer changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleCollector } from '../../src/util/heap.js';

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('collects once after a quiet burst, not for a few changes', async () => {
  const c = new IdleCollector(100, 30);
  c.note(99);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(c.runs, 0, 'below the threshold');
  c.note(1);
  c.note(50);
  await until(() => c.runs === 1, 5000);
  c.note(10);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(c.runs, 1, 'the count started again after the collection');
  c.stop();
});

test('gives the C heap back (trim) after the collections of a quiet burst', async () => {
  let trims = 0;
  const c = new IdleCollector(10, 20, () => trims++);
  c.note(10);
  await until(() => trims === 1, 5000);
  assert.equal(c.runs, 1);
  c.stop();
});
