// Walking a parsed YAML document (the `yaml` package's nodes) with the field path and source position at
// hand, so that every complaint about a lab file names its line, column and field. Collects issues
// rather than throwing: a file's errors are reported all at once.
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type { SourcePos } from './model.js';

/** One thing wrong in a lab file. */
export interface LabIssue {
  readonly line: number;
  readonly col: number;
  /** The field, as a dotted path (hosts.node3.bridges.br1.stp_enable). */
  readonly field: string;
  readonly message: string;
}

/** A node of the document with its path; `node` is null for a key written with no value. */
export interface At {
  readonly node: Node | null;
  readonly path: string;
  /** Where to point when the node is null (the key). */
  readonly fallback: SourcePos;
}

/** One key of a YAML mapping with its value. */
export interface Entry {
  readonly key: string;
  readonly keyPos: SourcePos;
  readonly value: At;
}

/** Issue collection plus position lookup for one document. */
export class Walker {
  readonly issues: LabIssue[] = [];

  constructor(private readonly lines: LineCounter) {}

  /** The position of a node (or the fallback when it has none). */
  pos(at: At): SourcePos {
    const start = at.node?.range?.[0];
    return start === undefined ? at.fallback : this.offsetPos(start);
  }

  /** Line and column of a character offset. */
  offsetPos(offset: number): SourcePos {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Records an issue at `at`'s position (or at `pos` when given). */
  issue(at: At, message: string, pos?: SourcePos): void {
    const p = pos ?? this.pos(at);
    this.issues.push({ line: p.line, col: p.col, field: at.path, message });
  }

  /** The entries of a mapping; null (a key with no value) is an empty mapping. Undefined if not a map. */
  map(at: At, allowed?: readonly string[]): Entry[] | undefined {
    if (at.node === null || (isScalar(at.node) && at.node.value === null)) return [];
    if (!isMap(at.node)) {
      this.issue(at, `must be a mapping (key: value lines), not ${kindOf(at.node)}`);
      return undefined;
    }
    const out: Entry[] = [];
    for (const pair of at.node.items as Pair<unknown, unknown>[]) {
      const keyNode = pair.key as Node | null;
      const keyPos = keyNode?.range ? this.offsetPos(keyNode.range[0]) : this.pos(at);
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const path = at.path === '' ? key : `${at.path}.${key}`;
      if (!isScalar(keyNode)) {
        this.issue(at, 'keys must be plain names', keyPos);
        continue;
      }
      const valueNode = (pair.value ?? null) as Node | null;
      const value: At = { node: valueNode, path, fallback: keyPos };
      if (allowed !== undefined && !allowed.includes(key)) {
        this.issue(value, unknownKey(key, allowed), keyPos);
        continue;
      }
      out.push({ key, keyPos, value });
    }
    return out;
  }

  /** The items of a sequence (a single scalar counts as a one-item list when `loose`). */
  list(at: At, loose = false): At[] | undefined {
    if (at.node === null) return [];
    if (isSeq(at.node))
      return at.node.items.map((n, i) => ({
        node: n as Node,
        path: `${at.path}[${i}]`,
        fallback: this.pos(at),
      }));
    if (loose && isScalar(at.node)) return at.node.value === null ? [] : [at];
    this.issue(at, `must be a list (- item lines or [a, b]), not ${kindOf(at.node)}`);
    return undefined;
  }

  /** A scalar as text (numbers and booleans as written); undefined (with an issue) otherwise. */
  text(at: At, what = 'a value'): string | undefined {
    if (isScalar(at.node) && at.node.value !== null && typeof at.node.value !== 'object') {
      return String(at.node.value);
    }
    this.issue(at, `must be ${what}, not ${kindOf(at.node)}`);
    return undefined;
  }

  /** An integer in [min, max]. */
  int(at: At, min: number, max: number): number | undefined {
    const t = isScalar(at.node) ? at.node.value : undefined;
    const n = typeof t === 'number' ? t : typeof t === 'string' && /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    this.issue(at, `must be an integer from ${min} to ${max}, not ${kindOf(at.node)}`);
    return undefined;
  }

  /** A positive number of seconds. */
  seconds(at: At): number | undefined {
    const t = isScalar(at.node) ? at.node.value : undefined;
    if (typeof t === 'number' && t > 0 && t <= 3600) return t;
    this.issue(at, `must be a number of seconds (more than 0, at most 3600), not ${kindOf(at.node)}`);
    return undefined;
  }
}

/** How a node reads in a message: `"ten"`, `a mapping`, `nothing` … */
export function kindOf(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    return typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.value);
  }
  return 'an alias';
}

/** "unknown field x; expected one of …", with the closest allowed name suggested. */
function unknownKey(key: string, allowed: readonly string[]): string {
  const near = allowed
    .map((a) => ({ a, d: distance(key.toLowerCase(), a.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  const hint =
    near !== undefined && near.d <= Math.max(2, key.length / 3) ? ` (did you mean ${near.a}?)` : '';
  return `unknown field "${key}"${hint}; expected one of: ${allowed.join(', ')}`;
}

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
