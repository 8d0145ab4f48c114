// Controllers, fail modes, managers, SSL and emer-reset in `tsovs vsctl` against the real ovs-vsctl:
// identical stdout, stderr (warnings about odd targets included) and exit status.
import { after, before, describe, it } from 'node:test';
import { NEEDS_OVS, ServerPair } from './compare.js';

describe('vsctl controller, manager, SSL and emer-reset commands match ovs-vsctl', {
  skip: NEEDS_OVS,
}, () => {
  let pair: ServerPair;
  before(async () => {
    pair = await ServerPair.start();
    await pair.steps([['init'], ['add-br', 'br0'], ['add-br', 'br0v', 'br0', '10']]);
  });
  after(async () => {
    await pair?.cleanup();
  });

  it('sets, gets and deletes controllers', async () => {
    await pair.steps([
      ['get-controller', 'br0'],
      ['set-controller', 'br0', 'tcp:1.2.3.4:6653', 'ptcp:6633', 'bogus:x', 'nocolon'],
      ['get-controller', 'br0', '--', 'get-controller', 'br0v'],
      ['set-controller', 'br0v', 'tcp:1.1.1.1'],
      ['del-controller', 'br0v'],
      ['get-controller', 'nobridge'],
      ['--inactivity-probe=500', 'set-controller', 'br0', 'ssl:9.9.9.9', 'unix:/x', 'pssl:', 'punix:/y'],
      ['--columns=target,inactivity_probe', 'find', 'Controller', 'target="ssl:9.9.9.9"'],
      ['del-controller', 'br0'],
      ['get-controller', 'br0'],
      ['--bare', '--columns=target', 'list', 'Controller'],
      ['set-controller', 'br0', 'tcp:1.2.3.4', '--', 'set-controller', 'br0', '--', 'get-controller', 'br0'],
      ['--inactivity-probe=12abc', 'set-controller', 'br0', 'tcp:5.5.5.5'],
      ['--columns=target,inactivity_probe', 'list', 'Controller'],
      ['set-controller', 'br0', 'tcp:1.2.3.4'],
    ]);
  });

  it('sets, gets and deletes fail modes', async () => {
    await pair.steps([
      ['get-fail-mode', 'br0'],
      ['set-fail-mode', 'br0', 'secure'],
      ['get-fail-mode', 'br0v', '--', 'get-fail-mode', 'br0'],
      ['set-fail-mode', 'br0', 'bad'],
      ['set-fail-mode', 'br0v', 'standalone'],
      ['set-fail-mode', 'nobridge', 'bad'],
      ['del-fail-mode', 'br0v'],
      ['del-fail-mode', 'br0'],
      ['get-fail-mode', 'br0'],
      ['set-fail-mode', 'br0', 'standalone'],
    ]);
  });

  it('sets, gets and deletes managers', async () => {
    await pair.steps([
      ['get-manager'],
      ['set-manager', 'ptcp:6640', 'tcp:1.2.3.4', 'zz:q'],
      ['get-manager'],
      ['--inactivity-probe=3', 'set-manager', 'ptcp:1', 'punix:/tmp/x'],
      ['--columns=target,inactivity_probe', 'find', 'Manager', 'target="ptcp:1"'],
      ['del-manager'],
      ['get-manager'],
      ['--bare', '--columns=target', 'list', 'Manager'],
      ['set-manager', 'ptcp:6640', 'tcp:1.2.3.4:66'],
    ]);
  });

  it('sets, gets and deletes the SSL configuration', async () => {
    await pair.steps([
      ['get-ssl'],
      ['del-ssl'],
      ['set-ssl', 'a', 'b', 'c'],
      ['get-ssl'],
      ['--bootstrap', 'set-ssl', 'k y', 'b', 'c'],
      ['get-ssl'],
      ['--columns=private_key,bootstrap_ca_cert', 'list', 'SSL'],
      ['del-ssl'],
      ['get-ssl'],
      ['--columns=private_key', 'list', 'SSL'],
      ['set-ssl', 'a', 'b', 'c'],
    ]);
  });

  it('show prints all of it, and emer-reset clears it', async () => {
    await pair.steps([
      [
        'set',
        'Bridge',
        'br0',
        'datapath_type=netdev',
        'other_config:hwaddr=00:11:22:33:44:55',
        'other_config:x=y',
      ],
      ['add-port', 'br0', 't1', 'trunks=1,2,3', 'other_config:a=b'],
      ['set', 'Interface', 't1', 'type=vxlan', 'options:remote_ip=1.1.1.1', 'ingress_policing_rate=10'],
      ['set', 'Open_vSwitch', '.', 'ovs_version=3.1.0'],
    ]);
    await pair.same(['show'], { sortShow: true });
    await pair.steps([
      ['emer-reset'],
      ['--columns=other_config,controller,fail_mode', 'list', 'Bridge', 'br0'],
      ['--columns=other_config', 'list', 'Port', 't1'],
      ['--columns=ingress_policing_rate', 'list', 'Interface', 't1'],
      ['get-manager', '--', 'get-ssl', '--', 'get-controller', 'br0'],
      ['--bare', '--columns=target', 'list', 'Controller'],
    ]);
    await pair.same(['show'], { sortShow: true });
  });
});
