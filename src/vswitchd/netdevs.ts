// How vswitchd opens an Interface's device: the registered netdev providers, plus Open vSwitch's
// --enable-dummy levels (`dummy` and `dummy-internal` accepted; `=system` also turns system devices
// into dummies, `=override` every type but patch), and the Interface.error texts OVS writes for
// types it cannot open. A bridge with datapath_type=dummy gets dummy-internal ports, as in OVS.
import { DummyNetdev } from '../netdev/dummy.js';
import '../netdev/index.js';
import { type Netdev, NetdevError, openNetdev } from '../netdev/netdev.js';

/** --enable-dummy: 'none' (not given), 'dummy' (given without a value), 'system' or 'override'. */
export type DummyLevel = 'none' | 'dummy' | 'system' | 'override';

/** Opens one Interface's device; throws NetdevError whose message is the text for Interface.error. */
export type NetdevOpener = (
  type: string,
  name: string,
  options: ReadonlyMap<string, string>,
  datapathType: string,
) => Netdev;

/** A dummy netdev that reports another type (what --enable-dummy=override and dummy-internal make). */
export class TypedDummyNetdev extends DummyNetdev {
  override readonly type: string;

  constructor(name: string, type: string) {
    super(name);
    this.type = type;
  }
}

/** The interface types vswitchd can open at this dummy level (Open_vSwitch.iface_types). */
export function ifaceTypes(level: DummyLevel): string[] {
  const types = ['geneve', 'gre', 'internal', 'patch', 'system', 'vxlan'];
  if (level !== 'none') types.push('dummy', 'dummy-internal');
  return types.sort();
}

/** The datapath types vswitchd accepts (Open_vSwitch.datapath_types); all are served by one datapath. */
export function datapathTypes(level: DummyLevel): string[] {
  return level === 'none' ? ['netdev', 'system'] : ['dummy', 'netdev', 'system'];
}

/** OVS's Interface.error for a device of a type nobody provides. */
function unsupported(name: string): NetdevError {
  return new NetdevError(
    'EAFNOSUPPORT',
    `could not open network device ${name} (Address family not supported by protocol)`,
  );
}

/** The opener for a dummy level, over the registered providers (or `open`, in tests). */
export function netdevOpener(level: DummyLevel, open: typeof openNetdev = openNetdev): NetdevOpener {
  return (type, name, options, datapathType) => {
    const t = type === '' ? 'system' : type;
    const dummies = level !== 'none';
    if (t === 'dummy' || t === 'dummy-internal') {
      if (!dummies) throw unsupported(name);
      return t === 'dummy' ? open('dummy', name, options) : new TypedDummyNetdev(name, t);
    }
    if (dummies && t === 'internal' && datapathType === 'dummy')
      return new TypedDummyNetdev(name, 'dummy-internal');
    if (level === 'override' || (level === 'system' && t === 'system')) return new TypedDummyNetdev(name, t);
    try {
      return open(t, name, options);
    } catch (err) {
      if (err instanceof NetdevError && err.code === 'EAFNOSUPPORT') throw unsupported(name);
      if (err instanceof NetdevError) throw err;
      throw new NetdevError('EIO', `could not open network device ${name} (${String(err)})`);
    }
  };
}
