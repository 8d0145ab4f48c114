// MacLearningTable: learning, moves, LRU order, fair eviction at the size bound, aging on a fake clock,
// flushes, and the bounds OVS puts on the idle time and the table size.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMac, parseMac } from '../../src/ofproto/eth-addr.js';
import {
  type MacEntry,
  MacLearningTable,
  normalizeIdleTime,
  normalizeMaxEntries,
  type RemoveReason,
} from '../../src/ofproto/mac-learning.js';

const A = parseMac('00:00:00:00:00:0a');
const B = parseMac('00:00:00:00:00:0b');
const C = parseMac('00:00:00:00:00:0c');

function recordingTable(idleTime = 300, maxEntries = 2048) {
  const removed: string[] = [];
  const onRemove = (e: MacEntry, why: RemoveReason) => removed.push(`${why} ${e.vlan} ${formatMac(e.mac)}`);
  return { table: new MacLearningTable({ idleTime, maxEntries, onRemove }), removed };
}

function macs(t: MacLearningTable): string[] {
  return t.entries().map((e) => `${e.vlan}/${formatMac(e.mac).slice(-2)}@${e.port}`);
}

describe('MacLearningTable', () => {
  test('learns per (MAC, VLAN) and looks up', () => {
    const { table } = recordingTable();
    assert.equal(table.learn(A, 10, 'p1', 0), 'learned');
    assert.equal(table.learn(A, 20, 'p2', 0), 'learned');
    assert.equal(table.lookup(A, 10)?.port, 'p1');
    assert.equal(table.lookup(A, 20)?.port, 'p2');
    assert.equal(table.lookup(A, 30), undefined);
    assert.equal(table.size, 2);
  });

  test('never learns or finds multicast addresses', () => {
    const { table } = recordingTable();
    const mcast = parseMac('01:00:5e:00:00:01');
    assert.equal(table.learn(mcast, 0, 'p1', 0), 'ignored');
    assert.equal(table.lookup(mcast, 0), undefined);
    assert.equal(table.size, 0);
  });

  test('a move updates the port; a refresh after a second moves the entry to the back', () => {
    const { table } = recordingTable();
    table.learn(A, 0, 'p1', 0);
    table.learn(B, 0, 'p1', 0);
    assert.equal(table.learn(A, 0, 'p1', 500), 'unchanged', 'same port within the first second');
    assert.deepEqual(macs(table), ['0/0a@p1', '0/0b@p1']);
    assert.equal(table.learn(A, 0, 'p1', 1000), 'refreshed');
    assert.deepEqual(macs(table), ['0/0b@p1', '0/0a@p1']);
    assert.equal(table.learn(B, 0, 'p2', 1200), 'moved', 'a move counts at once');
    assert.deepEqual(macs(table), ['0/0a@p1', '0/0b@p2']);
    assert.equal(table.lookup(B, 0)?.port, 'p2');
  });

  test('evicts the least recently used entry of the busiest port at the size bound', () => {
    const { table, removed } = recordingTable(300, 10);
    for (let i = 0; i < 10; i++) table.learn(0x100 + i, 0, i < 7 ? 'busy' : 'quiet', i * 1000);
    assert.equal(table.learn(C, 0, 'quiet', 20_000), 'learned');
    assert.equal(table.size, 10);
    assert.deepEqual(removed, ['evicted 0 00:00:00:00:01:00']);
    assert.equal(table.lookup(0x100, 0), undefined);
    assert.equal(table.lookup(0x107, 0)?.port, 'quiet', 'the quiet port keeps its oldest entry');
  });

  test('with one port, eviction is plain LRU order (refreshes count)', () => {
    const { table, removed } = recordingTable(300, 10);
    for (let i = 0; i < 10; i++) table.learn(0x100 + i, 0, 'p1', i * 1000);
    table.learn(0x100, 0, 'p1', 20_000); // refreshed: now the most recent
    table.learn(C, 0, 'p1', 21_000);
    assert.deepEqual(removed, ['evicted 0 00:00:00:00:01:01']);
  });

  test('ages entries out after the idle time, oldest first', () => {
    const { table, removed } = recordingTable(60);
    table.learn(A, 0, 'p1', 0);
    table.learn(B, 0, 'p1', 30_000);
    assert.equal(table.run(59_999), 0);
    assert.equal(table.age(table.lookup(A, 0) as MacEntry, 59_999), 59);
    assert.equal(table.run(60_000), 1);
    assert.deepEqual(removed, ['expired 0 00:00:00:00:00:0a']);
    assert.equal(table.run(90_000), 1);
    assert.equal(table.size, 0);
  });

  test('a refresh restarts the idle timer', () => {
    const { table } = recordingTable(60);
    table.learn(A, 0, 'p1', 0);
    table.learn(A, 0, 'p1', 50_000);
    table.run(100_000);
    assert.equal(table.lookup(A, 0)?.port, 'p1');
    table.run(110_000);
    assert.equal(table.lookup(A, 0), undefined);
  });

  test('a shorter idle time applies to existing entries; a smaller bound evicts on run', () => {
    const { table, removed } = recordingTable(300, 20);
    for (let i = 0; i < 15; i++) table.learn(0x100 + i, 0, 'p1', 0);
    table.setIdleTime(100);
    table.setMaxEntries(12);
    assert.equal(table.run(1000), 3);
    assert.ok(removed.every((r) => r.startsWith('evicted')));
    assert.equal(table.run(100_000), 12);
  });

  test('flush removes everything; flushPort only one port; forget one entry', () => {
    const { table, removed } = recordingTable();
    table.learn(A, 0, 'p1', 0);
    table.learn(B, 0, 'p2', 0);
    table.learn(C, 5, 'p2', 0);
    assert.deepEqual(
      table.flushPort('p2').map((e) => e.mac),
      [B, C],
    );
    assert.deepEqual(macs(table), ['0/0a@p1']);
    assert.equal(table.forget(A, 1), false);
    table.learn(B, 0, 'p2', 0);
    table.flush();
    assert.equal(table.size, 0);
    assert.deepEqual(removed, [
      'forgotten 0 00:00:00:00:00:0b',
      'forgotten 5 00:00:00:00:00:0c',
      'flushed 0 00:00:00:00:00:0a',
      'flushed 0 00:00:00:00:00:0b',
    ]);
  });

  test('idle time and size are clamped like OVS (15..3600 s, 10..1e6 entries)', () => {
    assert.equal(normalizeIdleTime(1), 15);
    assert.equal(normalizeIdleTime(300), 300);
    assert.equal(normalizeIdleTime(99_999), 3600);
    assert.equal(normalizeMaxEntries(3), 10);
    assert.equal(normalizeMaxEntries(2048), 2048);
    assert.equal(normalizeMaxEntries(5e6), 1_000_000);
    const t = new MacLearningTable();
    assert.equal(t.idleTime, 300);
    assert.equal(t.maxEntries, 2048);
  });
});
