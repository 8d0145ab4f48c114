// The OpenFlow 1.3 table-features reply (Open vSwitch's query_tables): every visible table with the same
// capabilities — all instructions (but goto_table in the last table), every later table as a next table,
// the action types, the fields that can be matched (and wildcarded) and set. ovs-ofctl reads it to learn
// table names before several commands (add-group, dump-flows with names ...), so it must be there.
import type { TableFeatures } from '../openflow/messages.js';
import type { OxmId, TableFeatureProp } from '../openflow/messages-stats.js';
import { ALL_FIELDS, headerFor, OXM_CLASS_EXPERIMENTER } from '../openflow/oxm.js';
import { OFP13_VERSION } from '../openflow/wire.js';

/** OFPIT_GOTO_TABLE .. OFPIT_METER. */
const INSTRUCTIONS = [1, 2, 3, 4, 5, 6];
/** OpenFlow 1.3 action types Open vSwitch lists: output, copy/set/dec TTLs, push/pop, set_queue, group, set_field. */
const ACTION_TYPES = [0, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];

function oxmIds(writableOnly: boolean): OxmId[] {
  const out: OxmId[] = [];
  for (const f of ALL_FIELDS) {
    if (f.variable || (writableOnly && !f.writable)) continue;
    const h = headerFor(f, OFP13_VERSION);
    if (h === null) continue;
    const exp = h.cls === OXM_CLASS_EXPERIMENTER;
    const len = f.bytes + (exp ? 4 : 0);
    const header = ((h.cls << 16) | (h.field << 9) | len) >>> 0;
    out.push({ header, experimenter: exp ? h.experimenter : null });
  }
  return out;
}

/** Features of tables 0..n-1 as Open vSwitch reports them (names from `names`, else empty). */
export function tableFeatures(n: number, names: ReadonlyMap<number, string> = new Map()): TableFeatures[] {
  const match = oxmIds(false);
  const settable = oxmIds(true);
  const actionIds = ACTION_TYPES.map((type) => ({ type, data: new Uint8Array(0) }));
  const out: TableFeatures[] = [];
  for (let id = 0; id < n; id++) {
    const last = id === n - 1;
    const props: TableFeatureProp[] = [
      {
        kind: 'instructions',
        ids: INSTRUCTIONS.filter((t) => !last || t !== 1).map((type) => ({ type, data: new Uint8Array(0) })),
      },
      { kind: 'next_tables', tables: Array.from({ length: n - id - 1 }, (_, i) => id + 1 + i) },
      { kind: 'write_actions', ids: actionIds },
      { kind: 'apply_actions', ids: actionIds },
      { kind: 'match', oxms: match },
      { kind: 'wildcards', oxms: match },
      { kind: 'write_setfield', oxms: settable },
      { kind: 'apply_setfield', oxms: settable },
    ];
    out.push({
      tableId: id,
      name: names.get(id) ?? '',
      metadataMatch: 0xffffffffffffffffn,
      metadataWrite: 0xffffffffffffffffn,
      config: 0,
      maxEntries: 1000000,
      props,
    });
  }
  return out;
}
