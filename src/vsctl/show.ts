// The `show` command's text (lib/db-ctl-base.c cmd_show, with ovs-vsctl's table of what to show): each
// Open_vSwitch row as its UUID, then, indented by four spaces a level, the rows it references (managers,
// bridges → controllers, ports → interfaces) headed "Table name", and the other listed columns that are not
// at their default value as "column: value" in OVS's value syntax.
import { atomToString, type Datum, datumToString, defaultDatum } from '../ovsdb/datum.js';
import type { ColumnType } from '../ovsdb/types.js';

/** What show reads of a row (TxnRow and ReplicaRow both fit). */
export interface ShowRow {
  readonly uuid: string;
  readonly table: { readonly name: string; column(name: string): unknown };
  get(column: string): Datum;
  columnType(column: string): ColumnType;
}

/** Where show finds rows: every row of a table, and one row by UUID. */
export interface ShowSource {
  rows(table: string): readonly ShowRow[];
  row(table: string, uuid: string): ShowRow | undefined;
}

/** One table show knows: the column that names its rows (none: the UUID) and the columns listed under a row. */
export interface ShowTable {
  readonly table: string;
  readonly nameColumn: string | null;
  readonly columns: readonly string[];
}

/** ovs-vsctl's show tables, in its order (the first one's rows are the roots). */
export const VSWITCH_SHOW_TABLES: readonly ShowTable[] = [
  { table: 'Open_vSwitch', nameColumn: null, columns: ['manager_options', 'bridges', 'ovs_version'] },
  { table: 'Bridge', nameColumn: 'name', columns: ['controller', 'fail_mode', 'datapath_type', 'ports'] },
  { table: 'Port', nameColumn: 'name', columns: ['tag', 'trunks', 'interfaces'] },
  { table: 'Interface', nameColumn: 'name', columns: ['type', 'options', 'error', 'bfd_status'] },
  { table: 'Controller', nameColumn: 'target', columns: ['is_connected'] },
  { table: 'Manager', nameColumn: 'target', columns: ['is_connected'] },
];

/** The output of `show` for the rows of `source`. */
export function formatShow(source: ShowSource, tables: readonly ShowTable[] = VSWITCH_SHOW_TABLES): string {
  const printer = new ShowPrinter(source, tables);
  for (const row of source.rows(tables[0].table)) printer.row(row, 0);
  return printer.output;
}

const indent = (level: number): string => ' '.repeat(level * 4);

class ShowPrinter {
  output = '';
  /** Tables whose rows are being printed further up (their rows are shown by name only). */
  private readonly shown = new Set<string>();

  constructor(
    private readonly source: ShowSource,
    private readonly tables: readonly ShowTable[],
  ) {}

  private find(table: string): ShowTable | undefined {
    return this.tables.find((t) => t.table === table);
  }

  row(row: ShowRow, level: number): void {
    const show = this.find(row.table.name);
    this.output += indent(level);
    if (show?.nameColumn) {
      const type = row.columnType(show.nameColumn);
      this.output += `${show.table} ${datumToString(type, row.get(show.nameColumn))}\n`;
    } else {
      this.output += `${row.uuid}\n`;
    }
    if (show === undefined || this.shown.has(show.table)) return;
    this.shown.add(show.table);
    for (const column of show.columns) {
      if (row.table.column(column) !== undefined) this.column(row, column, level);
    }
    this.shown.delete(show.table);
  }

  private column(row: ShowRow, column: string, level: number): void {
    const type = row.columnType(column);
    const datum = row.get(column);
    if (type.key.type === 'uuid' && type.key.refTable !== undefined) {
      const ref = this.find(type.key.refTable);
      if (ref !== undefined) {
        for (const uuid of datum.keys) {
          const target = this.source.row(ref.table, uuid as string);
          if (target !== undefined) this.row(target, level + 1);
        }
        return;
      }
    } else if (type.value?.type === 'uuid' && type.value.refTable !== undefined) {
      const ref = this.find(type.value.refTable);
      if (ref?.nameColumn) {
        this.refMap(column, type, datum, ref, level);
        return;
      }
    }
    if (!datum.equals(defaultDatum(type))) {
      this.output += `${indent(level + 1)}${column}: ${datumToString(type, datum)}\n`;
    }
  }

  /** A map whose values reference a shown table: "column:" then "key=name" lines. */
  private refMap(column: string, type: ColumnType, datum: Datum, ref: ShowTable, level: number): void {
    this.output += `${indent(level + 1)}${column}:\n`;
    datum.keys.forEach((key, i) => {
      const uuid = (datum.values ?? [])[i] as string;
      const target = this.source.row(ref.table, uuid);
      const name =
        target === undefined || ref.nameColumn === null
          ? '"<null>"'
          : datumToString(target.columnType(ref.nameColumn), target.get(ref.nameColumn));
      this.output += `${indent(level + 2)}${atomToString(type.key.type, key)}=${name}\n`;
    });
  }
}
