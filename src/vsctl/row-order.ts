// The order in which ovs-vsctl walks a table's rows: its IDL keeps rows in a hash map keyed by the first
// 32 bits of the UUID, filled in the order the monitor reply's JSON object yields them (itself a string
// hash table), so `list`, `find` and the first-row rules see rows in that order, not in UUID order.
import { hmapOrder, shashOrder } from '../ovsdb/shash-order.js';

/** The order ovs-vsctl's IDL iterates rows with these UUIDs (all received in one monitor reply). */
export function idlRowOrder(uuids: Iterable<string>): string[] {
  return hmapOrder(shashOrder(uuids), (uuid) => Number.parseInt(uuid.slice(0, 8), 16));
}
