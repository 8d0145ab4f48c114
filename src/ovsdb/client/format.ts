// Output formats of Open vSwitch's database tools (lib/table.c, ovsdb-data.c, json.c): a table of cells
// printed as an aligned table, a list, HTML, CSV or JSON; OVSDB values printed the way `ovsdb-client` and
// `ovs-vsctl` print them (JSON written by ../ovs-json.ts). `tsovs ovsdb-client` and `tsovs vsctl` share it,
// so their stdout matches the real tools byte for byte.
import type { Json } from '../../jsonrpc/json.js';
import { atomToString, checkDatum, type Datum, datumFromJson, datumToString } from '../datum.js';
import { ovsJsonToString } from '../ovs-json.js';
import type { DatabaseSchema } from '../schema.js';
import { type Atom, type AtomicType, type ColumnType, columnTypeToJson } from '../types.js';

/** A datum in OVS's "bare" format: elements separated by spaces, strings unquoted. */
export function datumToBare(type: ColumnType, d: Datum): string {
  const bare = (t: AtomicType, a: Atom) => (t === 'string' ? (a as string) : atomToString(t, a));
  return d.keys
    .map((k, i) => {
      const key = bare(type.key.type, k);
      return type.value === null ? key : `${key}=${bare(type.value.type, (d.values as Atom[])[i])}`;
    })
    .join(' ');
}

/** A table cell: fixed text, or an OVSDB value (its JSON and, to format it, its column type). */
export type Cell = { readonly text: string } | { readonly json: Json; readonly type?: ColumnType } | null;

/** A table to print: column headings and rows of cells, with an optional caption line. */
export interface Table {
  readonly headings: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  readonly caption?: string;
  /** Print the current time (UTC, with milliseconds) before the table. */
  readonly timestamp?: boolean;
}

/** How a table is printed (the --format, --data, --no-headings, --pretty, --max-column-width options). */
export interface TableStyle {
  readonly format: 'table' | 'list' | 'html' | 'csv' | 'json';
  readonly cellFormat: 'string' | 'bare' | 'json';
  readonly headings: boolean;
  readonly pretty: boolean;
  readonly maxColumnWidth: number;
}

/** ovs-vsctl's and ovsdb-client's default style. */
export const DEFAULT_TABLE_STYLE: TableStyle = {
  format: 'table',
  cellFormat: 'string',
  headings: true,
  pretty: false,
  maxColumnWidth: 0,
};

/** Parses a --format argument; undefined when unknown. */
export function parseTableFormat(text: string): TableStyle['format'] | undefined {
  return (['table', 'list', 'html', 'csv', 'json'] as const).find((f) => f === text);
}

/** Parses a --data argument; undefined when unknown. */
export function parseCellFormat(text: string): TableStyle['cellFormat'] | undefined {
  return (['string', 'bare', 'json'] as const).find((f) => f === text);
}

/** The text of a cell in a style: values parsed with their type, or their sorted JSON if that fails. */
export function cellToText(cell: Cell, style: TableStyle): string {
  if (cell === null) return '';
  if ('text' in cell) return cell.text;
  if (style.cellFormat === 'json' || cell.type === undefined)
    return ovsJsonToString(cell.json, { sort: true });
  let datum: Datum;
  try {
    datum = datumFromJson(cell.type, cell.json);
    checkDatum(cell.type, datum);
  } catch {
    return ovsJsonToString(cell.json, { sort: true });
  }
  return style.cellFormat === 'string' ? datumToString(cell.type, datum) : datumToBare(cell.type, datum);
}

/** The time as OVS's tables print it: "YYYY-MM-DD HH:MM:SS.mmm" in UTC. */
export function formatTimestamp(now: Date): string {
  return now.toISOString().replace('T', ' ').replace('Z', '');
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** printf("%-*.*s"): `s` cut to `width` bytes and padded with spaces to `width` bytes. */
function padCell(s: string, width: number): string {
  const bytes = Buffer.from(s, 'utf8');
  const cut = bytes.length > width ? bytes.subarray(0, width).toString('utf8') : s;
  return cut + ' '.repeat(Math.max(0, width - byteLength(cut)));
}

/**
 * Prints tables one after another as OVS's table_print() does: every table after the first is preceded
 * by a blank line (except in HTML and JSON). One printer per output stream.
 */
export class TablePrinter {
  private first = true;

  constructor(
    readonly style: TableStyle = DEFAULT_TABLE_STYLE,
    /** The clock used for timestamps. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The text of one table in this printer's style. */
  format(table: Table): string {
    switch (this.style.format) {
      case 'table':
        return this.separator() + this.header(table) + this.formatTable(table);
      case 'list':
        return this.separator() + this.header(table) + this.formatList(table);
      case 'csv':
        return this.separator() + this.header(table) + this.formatCsv(table);
      case 'html':
        return this.formatHtml(table);
      case 'json':
        return this.formatJson(table);
    }
  }

  private separator(): string {
    if (this.first) {
      this.first = false;
      return '';
    }
    return '\n';
  }

  private timestampLine(table: Table): string {
    return table.timestamp ? `${formatTimestamp(this.now())}\n` : '';
  }

  private header(table: Table): string {
    return this.timestampLine(table) + (table.caption !== undefined ? `${table.caption}\n` : '');
  }

  private texts(table: Table): string[][] {
    return table.rows.map((row) => table.headings.map((_, x) => cellToText(row[x] ?? null, this.style)));
  }

  private formatTable(table: Table): string {
    const texts = this.texts(table);
    const widths = table.headings.map((heading, x) => {
      let w = Math.max(0, ...texts.map((row) => byteLength(row[x])));
      if (this.style.maxColumnWidth > 0 && w > this.style.maxColumnWidth) w = this.style.maxColumnWidth;
      return this.style.headings ? Math.max(w, byteLength(heading)) : w;
    });
    const line = (cells: string[]) => `${cells.join(' ').replace(/ +$/, '')}\n`;
    let out = '';
    if (this.style.headings) {
      out += line(table.headings.map((h, x) => padCell(h, Math.max(widths[x], byteLength(h)))));
      out += line(widths.map((w) => '-'.repeat(w)));
    }
    for (const row of texts) out += line(row.map((text, x) => padCell(text, widths[x])));
    return out;
  }

  private formatList(table: Table): string {
    const texts = this.texts(table);
    return texts
      .map((row) =>
        row
          .map((text, x) => {
            const heading = this.style.headings ? `${table.headings[x].padEnd(20)}: ` : '';
            return `${heading}${text}\n`;
          })
          .join(''),
      )
      .join('\n');
  }

  private formatCsv(table: Table): string {
    const quote = (s: string) => (/[\n",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    let out = '';
    if (this.style.headings) out += `${table.headings.map(quote).join(',')}\n`;
    for (const row of this.texts(table)) out += `${row.map(quote).join(',')}\n`;
    return out;
  }

  private formatHtml(table: Table): string {
    let out = `${this.timestampLine(table)}<table border=1>\n`;
    if (table.caption !== undefined) out += htmlCell('caption', table.caption);
    if (this.style.headings)
      out += `  <tr>\n${table.headings.map((h) => htmlCell('th', h)).join('')}  </tr>\n`;
    for (const row of this.texts(table)) {
      out += '  <tr>\n';
      row.forEach((text, x) => {
        if (table.headings[x] === '_uuid') {
          const head = Buffer.from(text, 'utf8').subarray(0, 8).toString('utf8');
          out += `    <td><a name="${escapeHtml(text)}">${escapeHtml(head)}</a></td>\n`;
        } else {
          out += htmlCell('td', text);
        }
      });
      out += '  </tr>\n';
    }
    return `${out}</table>\n`;
  }

  private formatJson(table: Table): string {
    const obj: { [k: string]: Json } = {};
    if (table.caption !== undefined) obj.caption = table.caption;
    if (table.timestamp) obj.time = formatTimestamp(this.now());
    obj.headings = [...table.headings];
    obj.data = table.rows.map((row) =>
      table.headings.map((_, x) => {
        const cell = row[x] ?? null;
        if (cell === null) return null;
        return 'text' in cell ? cell.text : cell.json;
      }),
    );
    return `${ovsJsonToString(obj, { sort: true, pretty: this.style.pretty })}\n`;
  }
}

function escapeHtml(s: string): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
  return s.replace(/[&<>"]/g, (c) => map[c]);
}

/** An HTML cell; UUIDs in the text become links showing their first 8 characters. */
function htmlCell(element: string, content: string): string {
  const linked = content.replace(
    /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[\s\S]/g,
    (m) => (m.length === 36 ? `<a href="#${m}">${m.slice(0, 8)}</a>` : escapeHtml(m)),
  );
  return `    <${element}>${linked}</${element}>\n`;
}

/** A schema in OVS's normalised JSON form (what `ovsdb-client get-schema` prints, with sorted keys). */
export function schemaToOvsJson(schema: DatabaseSchema): Json {
  const allRoot = [...schema.tables.values()].every((t) => t.isRoot);
  const tables: { [k: string]: Json } = {};
  for (const t of schema.tables.values()) {
    const columns: { [k: string]: Json } = {};
    for (const c of t.columns) {
      const column: { [k: string]: Json } = {};
      if (!c.mutable) column.mutable = false;
      if (c.ephemeral) column.ephemeral = true;
      column.type = columnTypeToJson(c.type, { strongRefType: false });
      columns[c.name] = column;
    }
    const table: { [k: string]: Json } = {};
    if (t.isRoot !== allRoot) table.isRoot = t.isRoot;
    table.columns = columns;
    if (t.maxRows !== Number.POSITIVE_INFINITY) table.maxRows = t.maxRows;
    if (t.indexes.length > 0) table.indexes = t.indexes.map((ix) => ix.map((i) => t.columns[i].name));
    tables[t.name] = table;
  }
  const json: { [k: string]: Json } = { name: schema.name };
  if (schema.version !== '') json.version = schema.version;
  if (schema.cksum !== undefined && schema.cksum !== '') json.cksum = schema.cksum;
  json.tables = tables;
  return json;
}
