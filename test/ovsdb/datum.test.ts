// Unit tests of OVSDB values without a server: datum JSON round trips and Open vSwitch's parse errors,
// constraint messages, atom ordering, the text forms used in messages, and diff/apply-diff properties on
// random sets and maps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Json } from '../../src/jsonrpc/json.js';
import {
  applyDatumDiff,
  checkAtom,
  type Datum,
  datumDiff,
  datumFromJson,
  datumToJson,
  datumToString,
  makeDatum,
} from '../../src/ovsdb/datum.js';
import { OvsdbError } from '../../src/ovsdb/error.js';
import { formatReal, ovsJsonToString } from '../../src/ovsdb/ovs-json.js';
import {
  type Atom,
  type BaseType,
  type ColumnType,
  compareAtoms,
  parseColumnType,
  typeToEnglish,
} from '../../src/ovsdb/types.js';

const U1 = '5f000000-0000-4000-8000-00000000000a';
const U2 = '5f000000-0000-4000-8000-00000000000b';

function type(json: Json): ColumnType {
  return parseColumnType(json);
}

/** Runs `fn` and returns the OvsdbError it throws, as the JSON a client would see. */
function errorOf(fn: () => unknown): Json {
  try {
    fn();
  } catch (err) {
    if (err instanceof OvsdbError) return err.toJson();
    throw err;
  }
  assert.fail('expected an OvsdbError');
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('datum JSON', () => {
  const cases: [Json, Json][] = [
    ['integer', 42],
    ['integer', -7],
    ['real', 2.5],
    ['boolean', true],
    ['string', 'é and "quotes"'],
    ['uuid', ['uuid', U1]],
    [{ key: 'integer', min: 0, max: 1 }, ['set', []]],
    [{ key: 'integer', min: 0, max: 1 }, 3],
    [{ key: 'string', min: 0, max: 'unlimited' }, ['set', ['a', 'b', 'c']]],
    [
      { key: 'uuid', min: 0, max: 'unlimited' },
      [
        'set',
        [
          ['uuid', U1],
          ['uuid', U2],
        ],
      ],
    ],
    [{ key: 'string', value: 'integer', min: 0, max: 'unlimited' }, ['map', []]],
    [
      { key: 'string', value: 'integer', min: 0, max: 'unlimited' },
      [
        'map',
        [
          ['a', 1],
          ['b', 2],
        ],
      ],
    ],
    [{ key: 'integer', value: 'uuid', min: 0, max: 'unlimited' }, ['map', [[1, ['uuid', U2]]]]],
  ];
  for (const [t, json] of cases) {
    test(`round trip of ${JSON.stringify(json)} as ${JSON.stringify(t)}`, () => {
      assert.deepEqual(datumToJson(type(t), datumFromJson(type(t), json)), json);
    });
  }

  test('sets are sorted and written bare when they hold one element', () => {
    const t = type({ key: 'integer', min: 0, max: 'unlimited' });
    assert.deepEqual(datumToJson(t, datumFromJson(t, ['set', [3, 1, 2]])), ['set', [1, 2, 3]]);
    assert.deepEqual(datumToJson(t, datumFromJson(t, ['set', [5]])), 5);
    assert.deepEqual(datumToJson(t, datumFromJson(t, 5)), 5);
  });

  test('uuids are read in any case and written in lower case', () => {
    assert.deepEqual(datumToJson(type('uuid'), datumFromJson(type('uuid'), ['uuid', U1.toUpperCase()])), [
      'uuid',
      U1,
    ]);
  });

  test('reals are written with 15 significant digits', () => {
    const t = type('real');
    assert.equal(datumToJson(t, datumFromJson(t, 0.1 + 0.2)), 0.3);
    assert.equal(datumToJson(t, datumFromJson(t, 2 ** -22)), 2.38418579101562e-7);
  });

  test('named-uuid references resolve through the resolver, and only with one', () => {
    const t = type({ key: 'uuid', min: 0, max: 'unlimited' });
    const d = datumFromJson(
      t,
      [
        'set',
        [
          ['named-uuid', 'a'],
          ['uuid', U2],
        ],
      ],
      (name) => (name === 'a' ? U1 : U2),
    );
    assert.deepEqual(d.keys, [U1, U2]);
    assert.deepEqual(
      errorOf(() => datumFromJson(t, ['named-uuid', 'a'])),
      {
        error: 'syntax error',
        details: 'expected ["uuid", <string>]',
        syntax: '["named-uuid","a"]',
      },
    );
    assert.deepEqual(
      errorOf(() => datumFromJson(t, ['named-uuid', '1a'], () => U1)),
      {
        error: 'syntax error',
        details: 'named-uuid string is not a valid <id>',
        syntax: '["named-uuid","1a"]',
      },
    );
  });

  test('parse errors carry Open vSwitch texts', () => {
    const set3: Json = { key: 'string', min: 0, max: 3 };
    const expectations: [Json, Json, Json][] = [
      ['integer', 'x', { error: 'syntax error', details: 'expected integer', syntax: '"x"' }],
      ['integer', 1.5, { error: 'syntax error', details: 'expected integer', syntax: '1.5' }],
      [
        'integer',
        2 ** 63,
        { error: 'syntax error', details: 'expected integer', syntax: '9.22337203685478e+18' },
      ],
      ['real', true, { error: 'syntax error', details: 'expected real', syntax: 'true' }],
      [
        'uuid',
        ['uuid', 'x'],
        { error: 'syntax error', details: '"x" is not a valid UUID', syntax: '["uuid","x"]' },
      ],
      [
        'integer',
        ['set', [1, 2]],
        {
          error: 'syntax error',
          details: 'set must have exactly one member but 2 are present',
          syntax: '["set",[1,2]]',
        },
      ],
      [
        set3,
        ['set', ['a', 'b', 'c', 'd']],
        {
          error: 'syntax error',
          details: 'set must have 0 to 3 members but 4 are present',
          syntax: '["set",["a","b","c","d"]]',
        },
      ],
      [
        { key: 'uuid', min: 1, max: 'unlimited' },
        ['set', []],
        {
          error: 'syntax error',
          details: 'set must have 1 to 4294967295 members but 0 are present',
          syntax: '["set",[]]',
        },
      ],
      [set3, ['set', ['a', 'a']], { error: 'ovsdb error', details: 'set contains duplicate' }],
      [
        { key: 'string', value: 'string', min: 0, max: 'unlimited' },
        [
          'map',
          [
            ['a', '1'],
            ['a', '2'],
          ],
        ],
        { error: 'ovsdb error', details: 'map contains duplicate key' },
      ],
      [
        { key: 'string', value: 'string', min: 0, max: 'unlimited' },
        ['set', ['a']],
        { error: 'syntax error', details: 'expected ["map", <array>]', syntax: '["set",["a"]]' },
      ],
      [
        { key: 'string', value: 'string', min: 0, max: 'unlimited' },
        ['map', [['a']]],
        { error: 'syntax error', details: 'expected 2-element array', syntax: '["a"]' },
      ],
      [
        set3,
        ['set', 1],
        { error: 'syntax error', details: 'expected ["set", <array>]', syntax: '["set",1]' },
      ],
    ];
    for (const [t, json, expected] of expectations) {
      assert.deepEqual(
        errorOf(() => datumFromJson(type(t), json)),
        expected,
        JSON.stringify(json),
      );
    }
  });
});

describe('constraints', () => {
  const check = (base: Json, atom: Atom) => errorOf(() => checkAtom(type(base).key, atom));
  const violation = (details: string) => ({ error: 'constraint violation', details });

  test('enums list the allowed values, quoting those that need it', () => {
    const base: Json = { type: 'string', enum: ['set', ['secure', 'stand alone', 'true']] };
    assert.deepEqual(
      check({ key: base }, 'bogus'),
      violation('bogus is not one of the allowed values ([secure, "stand alone", "true"])'),
    );
    assert.deepEqual(
      check({ key: base }, 'not valid'),
      violation('"not valid" is not one of the allowed values ([secure, "stand alone", "true"])'),
    );
    assert.deepEqual(
      check({ key: { type: 'integer', enum: ['set', [3, 1]] } }, 2),
      violation('2 is not one of the allowed values ([1, 3])'),
    );
  });

  test('integer and real ranges', () => {
    assert.deepEqual(
      check({ key: { type: 'integer', minInteger: 0, maxInteger: 4095 } }, 4096),
      violation('4096 is not in the valid range 0 to 4095 (inclusive)'),
    );
    assert.deepEqual(
      check({ key: { type: 'integer', minInteger: 1000 } }, 999),
      violation('999 is less than minimum allowed value 1000'),
    );
    assert.deepEqual(
      check({ key: { type: 'integer', maxInteger: 10 } }, 11),
      violation('11 is greater than maximum allowed value 10'),
    );
    assert.deepEqual(
      check({ key: { type: 'real', minReal: -1.5, maxReal: 2.5 } }, 0.1 + 2.5),
      violation('2.6 is not in the valid range -1.5 to 2.5 (inclusive)'),
    );
  });

  test('string lengths count characters, not bytes', () => {
    const base: Json = { key: { type: 'string', minLength: 2, maxLength: 4 } };
    assert.deepEqual(
      check(base, 'ééééé'),
      violation('"ééééé" length 5 is greater than maximum allowed length 4'),
    );
    assert.deepEqual(check(base, '😀'), violation('"😀" length 1 is less than minimum allowed length 2'));
    checkAtom(type(base).key as BaseType, 'éééé');
  });
});

describe('atom order and text forms', () => {
  test('atoms of each type order as Open vSwitch orders them', () => {
    const ordered: Atom[][] = [
      [-5, -1.5, 0, 0.25, 3, 1e300],
      [false, true],
      ['', 'A', 'B', 'Z', '_', 'a', 'b', 'é', '\uffff', '😀'],
      [U1, U2, 'ff000000-0000-0000-0000-000000000000'],
    ];
    for (const atoms of ordered) {
      for (let i = 0; i < atoms.length; i++) {
        for (let j = 0; j < atoms.length; j++) {
          assert.equal(
            Math.sign(compareAtoms(atoms[i], atoms[j])),
            Math.sign(i - j),
            `${atoms[i]} vs ${atoms[j]}`,
          );
        }
      }
    }
  });

  test('makeDatum sorts and drops duplicate keys (a later value wins)', () => {
    const d = makeDatum(['b', 'a', 'b'], [1, 2, 3]);
    assert.deepEqual(
      [d.keys, d.values],
      [
        ['a', 'b'],
        [2, 3],
      ],
    );
  });

  test('reals are printed like printf("%.15g")', () => {
    // Each pair was checked against the C library's printf.
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [0.1 + 0.2, '0.3'],
      [1e20, '1e+20'],
      [1e15, '1e+15'],
      [1e14, '100000000000000'],
      [1.5e-5, '1.5e-05'],
      [0.0001, '0.0001'],
      [2 ** -22, '2.38418579101562e-07'],
      [-2.5, '-2.5'],
      [5e-324, '4.94065645841247e-324'],
      [999999999999999.9, '1e+15'],
      [123.456, '123.456'],
      [1234567890123445, '1.23456789012344e+15'],
    ];
    for (const [x, text] of cases) assert.equal(formatReal(x), text, String(x));
  });

  test('JSON in "syntax" members has sorted keys and OVS number forms', () => {
    assert.equal(
      ovsJsonToString({ z: [1, 1.5, 1e300, 2 ** 63], a: { c: null, b: 'é\n"' } }, { sort: true }),
      '{"a":{"b":"é\\n\\"","c":null},"z":[1,1.5,1e+300,9.22337203685478e+18]}',
    );
  });

  test('types in words', () => {
    const cases: [Json, string][] = [
      ['integer', 'integer'],
      [{ key: 'string', min: 0, max: 1 }, 'set of up to 1 strings'],
      [{ key: 'uuid', min: 1, max: 'unlimited' }, 'set of 1 or more uuids'],
      [{ key: 'integer', min: 0, max: 'unlimited' }, 'set of integers'],
      [{ key: 'real', min: 1, max: 4 }, 'set of 1 to 4 reals'],
      [{ key: 'string', value: 'integer', min: 0, max: 'unlimited' }, 'map of (string, integer) pairs'],
    ];
    for (const [t, words] of cases) assert.equal(typeToEnglish(type(t)), words);
  });

  test('datums in OVS text form', () => {
    const map = type({ key: 'string', value: 'integer', min: 0, max: 'unlimited' });
    assert.equal(datumToString(map, makeDatum(['a b', 'x'], [1, 2])), '{"a b"=1, x=2}');
    assert.equal(datumToString(type({ key: 'integer', min: 0, max: 1 }), makeDatum([], null)), '[]');
    assert.equal(datumToString(type('string'), makeDatum(['br0'], null)), 'br0');
    assert.equal(datumToString(type('string'), makeDatum([U1], null)), `"${U1}"`);
  });
});

describe('diff and apply-diff', () => {
  const setType = type({ key: 'integer', min: 0, max: 'unlimited' });
  const mapType = type({ key: 'string', value: 'integer', min: 0, max: 'unlimited' });
  const random = prng(7047);
  const pick = (n: number) => Math.floor(random() * n);

  function randomSet(): Datum {
    const n = pick(8);
    return makeDatum(
      Array.from({ length: n }, () => pick(12)),
      null,
    );
  }

  function randomMap(): Datum {
    const n = pick(8);
    const keys = Array.from({ length: n }, () => String.fromCharCode(97 + pick(10)));
    return makeDatum(
      keys,
      keys.map(() => pick(3)),
    );
  }

  test('applying the diff of a and b to a gives b (sets)', () => {
    for (let i = 0; i < 500; i++) {
      const a = randomSet();
      const b = randomSet();
      const diff = datumDiff(setType, a, b);
      assert.ok(applyDatumDiff(setType, a, diff).equals(b));
      assert.ok(diff.equals(datumDiff(setType, b, a)), 'a set diff is symmetric');
      assert.ok(
        applyDatumDiff(setType, applyDatumDiff(setType, a, diff), diff).equals(a),
        'and undoes itself',
      );
    }
  });

  test('applying the diff of a and b to a gives b (maps)', () => {
    for (let i = 0; i < 500; i++) {
      const a = randomMap();
      const b = randomMap();
      const diff = datumDiff(mapType, a, b);
      assert.ok(applyDatumDiff(mapType, a, diff).equals(b), JSON.stringify([a, b, diff]));
      assert.equal(datumDiff(mapType, a, a).size, 0);
    }
  });

  test('the diff round-trips through JSON', () => {
    for (let i = 0; i < 100; i++) {
      const a = randomMap();
      const b = randomMap();
      const diff = datumDiff(mapType, a, b);
      const loose: ColumnType = { ...mapType, min: 0, max: Number.POSITIVE_INFINITY };
      assert.ok(datumFromJson(loose, datumToJson(loose, diff)).equals(diff));
    }
  });

  test('a column of at most one element diffs to its new value', () => {
    const t = type({ key: 'integer', min: 0, max: 1 });
    const a = makeDatum([1], null);
    const b = makeDatum([2], null);
    assert.ok(datumDiff(t, a, b).equals(b));
    assert.ok(applyDatumDiff(t, a, b).equals(b));
  });
});
