// Registers every netdev provider by its Interface type string; import this once before openNetdev().
import { DummyNetdev } from './dummy.js';
import { InternalNetdev } from './internal.js';
import { registerNetdevType } from './netdev.js';
import { SystemNetdev } from './system.js';
import { TunnelNetdev } from './tunnel.js';

registerNetdevType('dummy', (name) => new DummyNetdev(name));
registerNetdevType('system', (name) => new SystemNetdev(name));
registerNetdevType('internal', (name) => new InternalNetdev(name));
for (const kind of ['gre', 'vxlan', 'geneve'] as const) {
  registerNetdevType(kind, (name, options) => new TunnelNetdev(name, kind, options));
}

export { openNetdev, registerNetdevType } from './netdev.js';
