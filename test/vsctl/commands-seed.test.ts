// The seed's configuration steps (shared/seed/SEED-EN.md, steps 4–9, GRE and VXLAN variants) run with the
// real ovs-vsctl and with `tsovs vsctl` on two servers: every step and the final `show` must match.
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, ServerPair } from './compare.js';

const PORTS: readonly [string, string][] = [
  ['br2', 'a1.1'],
  ['br3', 'b1.1'],
  ['br2', 'b23.2'],
  ['br3', 'b23.1'],
  ['br1', 'b12.2'],
  ['br1', 'b13.2'],
  ['br2', 'b12.1'],
  ['br3', 'b13.1'],
];

describe("the seed's ovs-vsctl steps", { skip: NEEDS_OVS }, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('builds three looped bridges with STP and a GRE tunnel, shown alike', async () => {
    await pair.steps([
      ['add-br', 'br1'],
      ['add-br', 'br2'],
      ['add-br', 'br3'],
    ]);
    await pair.same(['show'], { sortShow: true });
    await pair.steps(PORTS.map(([br, port]) => ['add-port', br, port]));
    await pair.steps(['br1', 'br2', 'br3'].map((br) => ['set', 'Bridge', br, 'stp_enable=true']));
    await pair.steps([
      ['add-port', 'br1', 'GRE'],
      ['set', 'Interface', 'GRE', 'type=gre', 'options:remote_ip=10.10.10.2'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });

  it('the VXLAN variant', async () => {
    await pair.steps([
      ['del-port', 'br1', 'GRE'],
      ['add-port', 'br1', 'vxlan'],
      ['set', 'Interface', 'vxlan', 'type=vxlan', 'options:remote_ip=10.10.10.2'],
      ['list-br', '--', 'list-ports', 'br1', '--', 'list-ports', 'br2', '--', 'list-ports', 'br3'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });
});
