// Self-tests of compare.ts's normalisers: UUID numbering, vlog timestamps, show block sorting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseUuids, normaliseVlog, sortShow, uuidNumberer } from './compare.js';

describe('vsctl test harness', () => {
  it('numbers UUIDs in order of appearance', () => {
    const a = '11111111-1111-1111-1111-111111111111';
    const b = '22222222-2222-2222-2222-222222222222';
    assert.equal(normaliseUuids(`${b} ${a} ${b}`), '<0> <1> <0>');
  });

  it('carries UUID numbers across the texts of one numberer', () => {
    const a = '11111111-1111-1111-1111-111111111111';
    const b = '22222222-2222-2222-2222-222222222222';
    const number = uuidNumberer();
    assert.equal(number(`${b} ${a}`), '<0> <1>');
    assert.equal(number(a), '<1>');
  });

  it('drops vlog time stamps', () => {
    assert.equal(normaliseVlog('2026-11-24T00:12:32Z|00002|vsctl|WARN|x\n'), '00002|vsctl|WARN|x\n');
  });

  it('sorts sibling show blocks of one kind, keeping other lines in place', () => {
    const text = [
      'u',
      '    Bridge b',
      '        Port q',
      '        Port p',
      '            Interface p',
      '    Bridge a',
      '    ovs_version: "1"',
      '',
    ].join('\n');
    const want = [
      'u',
      '    Bridge a',
      '    Bridge b',
      '        Port p',
      '            Interface p',
      '        Port q',
      '    ovs_version: "1"',
      '',
    ].join('\n');
    assert.equal(sortShow(text), want);
  });
});
