// Registers every netdev provider by its Interface type string; import this once before openNetdev().
import { DummyNetdev } from './dummy.js';
import { registerNetdevType } from './netdev.js';

registerNetdevType('dummy', (name) => new DummyNetdev(name));

export { openNetdev, registerNetdevType } from './netdev.js';
