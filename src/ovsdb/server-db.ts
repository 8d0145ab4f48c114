// The _Server database that ovsdb-server serves beside the others: one Database row per served
// database, _Server's own included — name, model "standalone", connected and leader true, the schema as
// compact JSON with sorted keys, and cid/sid/index empty as for a standalone database. Read-only to
// clients (server.ts refuses writes).

import type { Json } from '../jsonrpc/json.js';
import { schemaPath } from '../util/paths.js';
import { type Changes, Database } from './database.js';
import { EMPTY_SET, scalarDatum } from './datum.js';
import { sortedJson } from './monitor.js';
import { readSchemaFile } from './schema.js';
import { newUuid } from './uuid.js';

/** A schema as the _Server "schema" column holds it: its get_schema JSON with sorted keys, compact. */
export function schemaColumnText(db: Database): string {
  return JSON.stringify(sortedJson(db.schema.toJson() as Json));
}

/** The in-memory _Server database. */
export class ServerDatabase {
  readonly db = new Database(readSchemaFile(schemaPath('_server.ovsschema')));

  constructor() {
    this.add('_Server', this.db);
  }

  /** Adds the row describing a served database. */
  add(name: string, served: Database): void {
    const table = this.db.table('Database');
    const values = new Map([
      ['name', scalarDatum(name)],
      ['model', scalarDatum('standalone')],
      ['connected', scalarDatum(true)],
      ['leader', scalarDatum(true)],
      ['schema', scalarDatum(schemaColumnText(served))],
    ]);
    const data = table.schema.columns.map((c) => values.get(c.name) ?? EMPTY_SET);
    const uuid = newUuid();
    const changes: Changes = new Map([
      ['Database', new Map([[uuid, { old: null, new: { uuid, version: newUuid(), data } }]])],
    ]);
    this.db.commit(changes);
  }
}
