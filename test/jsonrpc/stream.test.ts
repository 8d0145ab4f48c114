// The JSON splitter: values back to back, split at every possible chunk boundary, oversize and garbage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Json } from '../../src/jsonrpc/json.js';
import { JsonSplitter, JsonStreamError, MAX_NESTING_DEPTH } from '../../src/jsonrpc/stream.js';

/** Messages chosen to put syntax characters inside strings, escapes and multibyte characters everywhere. */
const CORPUS: Json[] = [
  { method: 'echo', params: [], id: 0 },
  { id: 'a"b', result: ['{', '}', '[', ']', '\\', '"', '\\"', '\\\\"}'], error: null },
  {
    s: 'é中𝄞 emoji 😀 and "quotes" {braces} [brackets] \\ backslash',
    n: -1.5e-7,
    t: true,
    f: false,
    z: null,
  },
  [1, [2, [3, [4, {}]]], [], { '': '' }],
  { nested: { deeper: { deepest: ['\u0000\u001f\n\t', '\u2028'] } } },
  { 'key with } brace': { '{': '[' } },
];

/** The corpus as it might arrive: no delimiter between some values, whitespace and newlines between others. */
function corpusBytes(): Buffer {
  const texts = CORPUS.map((v) => JSON.stringify(v));
  return Buffer.from(`${texts[0]}${texts[1]}\n${texts[2]} \r\n\t${texts[3]}${texts[4]}  ${texts[5]}\n`);
}

function feedAll(
  splitter: JsonSplitter,
  chunks: Buffer[],
): { values: Json[]; error: JsonStreamError | null } {
  const values: Json[] = [];
  for (const chunk of chunks) {
    const result = splitter.feed(chunk);
    values.push(...result.values);
    if (result.error) return { values, error: result.error };
  }
  return { values, error: null };
}

describe('JsonSplitter', () => {
  it('splits a stream fed in one chunk', () => {
    const { values, error } = feedAll(new JsonSplitter(), [corpusBytes()]);
    assert.equal(error, null);
    assert.deepEqual(values, CORPUS);
  });

  it('splits correctly at every single chunk boundary', () => {
    const bytes = corpusBytes();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const splitter = new JsonSplitter();
      const { values, error } = feedAll(splitter, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.equal(error, null, `cut at ${cut}`);
      assert.deepEqual(values, CORPUS, `cut at ${cut}`);
      assert.equal(splitter.hasPartialValue, false);
    }
  });

  it('splits correctly when fed one byte at a time and at every pair of boundaries', () => {
    const bytes = corpusBytes();
    const oneByOne = [...bytes].map((b) => Buffer.from([b]));
    assert.deepEqual(feedAll(new JsonSplitter(), oneByOne).values, CORPUS);
    for (let a = 0; a < bytes.length; a += 7) {
      for (let b = a; b <= bytes.length; b += 5) {
        const chunks = [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
        assert.deepEqual(feedAll(new JsonSplitter(), chunks).values, CORPUS, `cuts at ${a}, ${b}`);
      }
    }
  });

  it('keeps a partial value until the rest arrives', () => {
    const splitter = new JsonSplitter();
    assert.deepEqual(splitter.feed(Buffer.from('{"a": "}')), { values: [], error: null });
    assert.equal(splitter.hasPartialValue, true);
    assert.deepEqual(splitter.feed(Buffer.from('"}')), { values: [{ a: '}' }], error: null });
  });

  it('refuses a message longer than the limit, whether it arrives whole or in pieces', () => {
    const big = Buffer.from(JSON.stringify({ data: 'x'.repeat(100) }));
    const whole = new JsonSplitter({ maxMessageBytes: 50 }).feed(big);
    assert.equal(whole.error?.code, 'message too long');
    assert.match(whole.error?.message ?? '', /maximum of 50 bytes/);
    const splitter = new JsonSplitter({ maxMessageBytes: 50 });
    assert.equal(splitter.feed(big.subarray(0, 30)).error, null);
    assert.equal(splitter.feed(big.subarray(30)).error?.code, 'message too long');
    const exact = Buffer.from(JSON.stringify({ d: 'y'.repeat(42) }));
    assert.equal(exact.length, 50);
    assert.deepEqual(new JsonSplitter({ maxMessageBytes: 50 }).feed(exact).values, [{ d: 'y'.repeat(42) }]);
  });

  it('reports a top-level scalar as a syntax error, after the values before it', () => {
    const result = new JsonSplitter().feed(Buffer.from('{"ok":1} 42'));
    assert.deepEqual(result.values, [{ ok: 1 }]);
    assert.ok(result.error instanceof JsonStreamError);
    assert.equal(result.error.code, 'syntax error');
    assert.match(result.error.message, /byte 9: .*'4' \(0x34\)/);
  });

  it('reports invalid JSON inside a balanced value, and stays failed', () => {
    const splitter = new JsonSplitter();
    const first = splitter.feed(Buffer.from('{"a":1,}'));
    assert.equal(first.error?.code, 'syntax error');
    assert.match(first.error?.message ?? '', /^invalid JSON/);
    assert.equal(splitter.feed(Buffer.from('{}')).error, first.error);
  });

  it('reports invalid UTF-8 and mismatched brackets', () => {
    const badUtf8 = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assert.equal(new JsonSplitter().feed(badUtf8).error?.code, 'syntax error');
    assert.equal(new JsonSplitter().feed(Buffer.from('{"a":[1}]')).error?.code, 'syntax error');
  });

  it('limits nesting depth as Open vSwitch does', () => {
    const deep = new JsonSplitter().feed(Buffer.from('['.repeat(MAX_NESTING_DEPTH + 1)));
    assert.match(deep.error?.message ?? '', /maximum nesting depth 1000/);
    const ok = `${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}`;
    assert.equal(new JsonSplitter().feed(Buffer.from(ok)).values.length, 1);
  });
});
