// Bridge, Port and Interface columns in lab files: which columns a lab may set (those of tsovs's
// schema/vswitch.ovsschema that a user configures — not status columns the switch writes, not references
// to other rows), a check of each value against the column's type, and its spelling for ovs-vsctl.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, Scalar } from 'yaml';
import { schemaPath } from '../util/paths.js';
import type { ColumnSetting } from './model.js';
import { type At, kindOf, type Walker } from './yaml-walk.js';

/** The tables whose columns a lab sets. */
export type LabTable = 'Bridge' | 'Port' | 'Interface';

interface BaseType {
  type: 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
  enum?: string[];
  minInteger?: number;
  maxInteger?: number;
}

interface ColumnType {
  key: BaseType;
  value?: BaseType;
  min: number;
  max: number;
}

/** Columns the switch writes (status) or that name other rows: not for lab files. */
const NOT_SETTABLE = new Set(['error', 'ofport', 'cfm_flap_count', 'datapath_version', 'bond_active_slave']);

let tables: Map<LabTable, Map<string, ColumnType>> | undefined;

type RawBase = string | { type: string; enum?: unknown; minInteger?: number; maxInteger?: number };
type RawType = RawBase | { key: RawBase; value?: RawBase; min?: number; max?: number | 'unlimited' };
interface RawColumn {
  type: RawType;
  ephemeral?: boolean;
  mutable?: boolean;
}

function base(raw: RawBase): BaseType {
  if (typeof raw === 'string') return { type: raw as BaseType['type'] };
  const out: BaseType = { type: raw.type as BaseType['type'] };
  if (Array.isArray(raw.enum) && raw.enum[0] === 'set') out.enum = (raw.enum[1] as unknown[]).map(String);
  else if (raw.enum !== undefined) out.enum = [String(raw.enum)];
  if (raw.minInteger !== undefined) out.minInteger = raw.minInteger;
  if (raw.maxInteger !== undefined) out.maxInteger = raw.maxInteger;
  return out;
}

function columnType(raw: RawType): ColumnType {
  if (typeof raw === 'string' || !('key' in raw)) return { key: base(raw), min: 1, max: 1 };
  const max = raw.max === 'unlimited' ? Number.POSITIVE_INFINITY : (raw.max ?? 1);
  return {
    key: base(raw.key),
    value: raw.value === undefined ? undefined : base(raw.value),
    min: raw.min ?? 1,
    max,
  };
}

/** The settable columns of `table`, from the schema file (read once). */
export function settableColumns(table: LabTable): Map<string, ColumnType> {
  if (tables === undefined) {
    const json = JSON.parse(readFileSync(schemaPath('vswitch.ovsschema'), 'utf8')) as {
      tables: Record<string, { columns: Record<string, RawColumn> }>;
    };
    tables = new Map();
    for (const t of ['Bridge', 'Port', 'Interface'] as const) {
      const cols = new Map<string, ColumnType>();
      for (const [name, col] of Object.entries(json.tables[t].columns)) {
        const type = columnType(col.type);
        if (col.ephemeral || col.mutable === false || NOT_SETTABLE.has(name)) continue;
        if (type.key.type === 'uuid' || type.value?.type === 'uuid') continue;
        cols.set(name, type);
      }
      tables.set(t, cols);
    }
  }
  return tables.get(table) as Map<string, ColumnType>;
}

/** A value in ovs-vsctl's syntax: bare when it is a plain word, JSON-quoted otherwise. */
export function vsctlValue(text: string): string {
  return /^[A-Za-z0-9_.:/+-]+$/.test(text) && !/^(true|false)$/.test(text) ? text : JSON.stringify(text);
}

/** Checks one atom against its base type; returns it as ovs-vsctl text, or an error message. */
function atom(w: Walker, at: At, t: BaseType): string | undefined {
  const raw = isScalar(at.node) ? at.node.value : undefined;
  if (raw === undefined || raw === null || typeof raw === 'object') {
    w.issue(at, `must be a single ${t.type}, not ${kindOf(at.node)}`);
    return undefined;
  }
  const text = String(raw);
  if (t.type === 'integer') {
    const n = typeof raw === 'number' ? raw : /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    const lo = t.minInteger ?? Number.MIN_SAFE_INTEGER;
    const hi = t.maxInteger ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(n) || n < lo || n > hi) {
      const range = t.minInteger !== undefined || t.maxInteger !== undefined ? ` from ${lo} to ${hi}` : '';
      w.issue(at, `must be an integer${range}, not ${kindOf(at.node)}`);
      return undefined;
    }
    return String(n);
  }
  if (t.type === 'real') {
    if (typeof raw !== 'number' && !/^-?\d+(\.\d+)?$/.test(text)) {
      w.issue(at, `must be a number, not ${kindOf(at.node)}`);
      return undefined;
    }
    return text;
  }
  if (t.type === 'boolean') {
    if (raw !== true && raw !== false && text !== 'true' && text !== 'false') {
      w.issue(at, `must be true or false, not ${kindOf(at.node)}`);
      return undefined;
    }
    return text;
  }
  if (t.enum !== undefined && !t.enum.includes(text)) {
    w.issue(at, `must be one of ${t.enum.join(', ')}, not ${kindOf(at.node)}`);
    return undefined;
  }
  return vsctlValue(text);
}

/** Checks the value of `column` of `table` at `at`; returns its settings (one per map key). */
export function columnSettings(w: Walker, table: LabTable, column: string, at: At): ColumnSetting[] {
  const type = settableColumns(table).get(column);
  if (type === undefined) return [];
  if (type.value !== undefined) {
    const entries = w.map(at);
    if (entries === undefined) return [];
    const out: ColumnSetting[] = [];
    for (const e of entries) {
      const key = atom(w, { node: keyNode(e.key), path: e.value.path, fallback: e.keyPos }, type.key);
      const value = atom(w, e.value, type.value);
      if (key !== undefined && value !== undefined) out.push({ column, key, value });
    }
    return out;
  }
  if (type.max > 1) {
    const items = isSeq(at.node) || isScalar(at.node) ? w.list(at, true) : undefined;
    if (items === undefined) {
      if (!isSeq(at.node) && !isScalar(at.node))
        w.issue(at, `must be a value or a list, not ${kindOf(at.node)}`);
      return [];
    }
    if (items.length > type.max) w.issue(at, `takes at most ${type.max} values`);
    const values = items.map((i) => atom(w, i, type.key));
    if (values.some((v) => v === undefined)) return [];
    return [{ column, value: `[${values.join(',')}]` }];
  }
  if (isMap(at.node) || isSeq(at.node)) {
    w.issue(at, `must be a single ${type.key.type}, not ${kindOf(at.node)}`);
    return [];
  }
  const value = atom(w, at, type.key);
  return value === undefined ? [] : [{ column, value }];
}

/** A scalar node standing for a map key (for type checks of keys). */
function keyNode(key: string): Scalar {
  return new Scalar(key);
}

/** `COLUMN[:KEY]=VALUE` for ovs-vsctl's set command. */
export function settingArg(s: ColumnSetting): string {
  return s.key === undefined ? `${s.column}=${s.value}` : `${s.column}:${s.key}=${s.value}`;
}
