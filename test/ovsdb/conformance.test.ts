// Transact conformance: every case of conformance-cases.ts runs against Open vSwitch's ovsdb-server 3.1
// and tsovs's ovsdb-server (one pair of servers, databases emptied after each case), and the replies must
// be identical once UUID values, the hash order of select rows and wait's elapsed time are normalised.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';
import { CASES, CONFORMANCE_SCHEMA, ROOT_TABLES } from './conformance-cases.js';
import {
  type Endpoint,
  normalizeOutcomes,
  type Outcome,
  resetDatabases,
  runSteps,
  startReal,
  startTsovs,
} from './conformance-harness.js';

const TOOLS = ['ovsdb-server', 'ovsdb-tool'];

describe('transact conformance with the real ovsdb-server', () => {
  let real: Endpoint | undefined;
  let tsovs: Endpoint | undefined;

  before(async () => {
    if (!TOOLS.every(hasBinary)) return;
    const started = await Promise.allSettled([startReal(CONFORMANCE_SCHEMA), startTsovs(CONFORMANCE_SCHEMA)]);
    if (started[0].status === 'fulfilled') real = started[0].value;
    if (started[1].status === 'fulfilled') tsovs = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  });

  after(async () => {
    await Promise.all([real?.cleanup(), tsovs?.cleanup()]);
  });

  test('the corpus is large enough', () => {
    assert.ok(CASES.length >= 80, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
  });

  for (const c of CASES) {
    test(c.name, { todo: c.todo }, async (t) => {
      if (!requireBinaries(t, ...TOOLS)) return;
      const servers = [real, tsovs] as Endpoint[];
      try {
        const [expected, actual] = await Promise.all(servers.map((s) => runSteps(s, c.steps)));
        assert.deepEqual(normalizeOutcomes(c.steps, actual), normalizeOutcomes(c.steps, expected));
      } finally {
        const resets = await Promise.all(servers.map((s) => resetDatabases(s, ROOT_TABLES)));
        assertClean(resets.flat());
      }
    });
  }
});

/** The clean-up transactions must succeed, or later cases would not start from empty databases. */
function assertClean(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    const ok =
      'result' in o &&
      Array.isArray(o.result) &&
      o.result.every((r) => r !== null && !('error' in (r as object)));
    assert.ok(ok, `clean-up failed: ${JSON.stringify(o)}`);
  }
}
