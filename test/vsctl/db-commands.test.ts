// The database commands and options of `tsovs vsctl` against the real ovs-vsctl: each case runs both
// against its own server (tsovs's, and Open vSwitch's real ovsdb-server) holding the same rows, and
// compares stdout, stderr and exit status with UUIDs and log timestamps normalised.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DbServer, type RunResult, runCommand, runTsovs, startServers } from '../helpers/daemons.js';
import { NEEDS_OVS, normaliseVlog, prepareServer, runVsctl, uuidNumberer } from './compare.js';

/** What must match of a run: stdout and stderr with UUIDs numbered together and log times dropped, status. */
function normalise(r: RunResult): { stdout: string; stderr: string; status: number | null } {
  const number = uuidNumberer();
  return {
    stdout: number(normaliseVlog(r.stdout)),
    stderr: number(normaliseVlog(r.stderr)),
    status: r.status,
  };
}

const SETUP = [
  ['--no-wait', 'init'],
  [
    '--no-wait',
    '--id=@i',
    'create',
    'Interface',
    'name=p1',
    '--',
    '--id=@p',
    'create',
    'Port',
    'name=p1',
    'interfaces=@i',
    '--',
    '--id=@b',
    'create',
    'Bridge',
    'name=br0',
    'ports=@p',
    '--',
    'add',
    'Open_vSwitch',
    '.',
    'bridges',
    '@b',
  ],
];

/** Runs the real ovs-vsctl and tsovs vsctl, each against its server, with the same arguments. */
function both(real: DbServer, ours: DbServer, args: string[]): Promise<[RunResult, RunResult]> {
  return Promise.all([runVsctl('real', real, args), runVsctl('tsovs', ours, args)]);
}

describe('tsovs vsctl database commands match ovs-vsctl', { skip: NEEDS_OVS }, () => {
  let real: DbServer;
  let ours: DbServer;
  let oursOnReal: DbServer;
  let realTwin: DbServer;

  before(async () => {
    [real, ours, oursOnReal, realTwin] = (await startServers(['real', 'tsovs', 'real', 'real'])) as [
      DbServer,
      DbServer,
      DbServer,
      DbServer,
    ];
    await Promise.all([
      ...[real, ours, realTwin].map((s) => prepareServer('real', s, SETUP)),
      prepareServer('tsovs', oursOnReal, SETUP),
    ]);
  });

  after(async () => {
    await Promise.all([real?.cleanup(), ours?.cleanup(), oursOnReal?.cleanup(), realTwin?.cleanup()]);
  });

  /** Cases run in order: later ones see what earlier ones changed, on both sides alike. */
  const CASES: string[][] = [
    ['list', 'br'],
    ['list', 'Bridge', 'br0'],
    ['--columns=name,ports', 'list', 'br'],
    ['--format=table', '--columns=name', 'list', 'port'],
    ['--format=csv', '--columns=name,interfaces', 'list', 'port'],
    ['--format=json', '--columns=name', 'list', 'bridge'],
    ['--format=html', '--columns=name', 'list', 'bridge'],
    ['--bare', '--columns=name', 'list', 'interface'],
    ['--no-headings', '--format=table', '--columns=name', 'list', 'bridge'],
    ['list', 'br', 'nope'],
    ['--if-exists', 'list', 'br', 'nope'],
    ['get', 'br', 'br0', 'name', '_uuid', 'fail_mode'],
    ['get', 'open', '.', 'external_ids'],
    ['get', 'br', 'br0', 'external_ids:missing'],
    ['--if-exists', 'get', 'br', 'br0', 'external_ids:missing'],
    ['get', 'br', 'br0', 'name:key'],
    ['get', 'br', 'nope', 'name'],
    [
      '--no-wait',
      'set',
      'br',
      'br0',
      'external_ids:a=b',
      'other_config={x=1, y="two words"}',
      'stp_enable=true',
    ],
    ['get', 'br', 'br0', 'external_ids', 'other_config', 'stp_enable'],
    ['--no-wait', 'set', 'br', 'br0', 'name=x'],
    ['--no-wait', 'set', 'br', 'br0', 'stp_enable=maybe'],
    ['--no-wait', 'set', 'br', 'br0', 'flood_vlans=5000'],
    ['--no-wait', 'set', 'br', 'br0', 'nosuch=1'],
    ['--no-wait', 'set', 'br', 'br0', 'fail_mode'],
    ['--no-wait', '--if-exists', 'set', 'br', 'nope', 'stp_enable=true'],
    ['--no-wait', 'add', 'br', 'br0', 'flood_vlans', '1-3', '7'],
    ['--no-wait', 'add', 'br', 'br0', 'external_ids', 'a=other', 'c=d'],
    ['get', 'br', 'br0', 'flood_vlans', 'external_ids'],
    ['--no-wait', 'remove', 'br', 'br0', 'flood_vlans', '2'],
    ['--no-wait', 'remove', 'br', 'br0', 'external_ids', 'a', 'c=wrong'],
    ['get', 'br', 'br0', 'flood_vlans', 'external_ids'],
    ['--no-wait', 'remove', 'port', 'p1', 'interfaces', 'p1'],
    ['--no-wait', 'clear', 'br', 'br0', 'flood_vlans', 'external_ids'],
    ['--no-wait', 'clear', 'br', 'br0', 'name'],
    ['get', 'br', 'br0', 'flood_vlans', 'external_ids'],
    ['find', 'bridge', 'name=br0'],
    ['--columns=name', 'find', 'bridge', 'stp_enable=true'],
    ['--columns=name', 'find', 'bridge', 'stp_enable!=true'],
    ['--columns=name', 'find', 'bridge', 'other_config:x=1'],
    ['--columns=name', 'find', 'bridge', 'other_config:x{=}[]'],
    ['--columns=name', 'find', 'bridge', 'flood_vlans{<=}[1,3,7]'],
    ['--columns=name', 'find', 'bridge', 'flood_vlans{>=}[]'],
    ['--columns=name', 'find', 'bridge', 'name<c'],
    ['--columns=name', 'find', 'bridge', 'name>=c'],
    ['find', 'bridge', 'name'],
    ['find', 'bridge', 'fail_mode:x=secure'],
    ['--no-wait', '--id=@q', 'create', 'QoS', 'type=linux-htb', '--', 'set', 'port', 'p1', 'qos=@q'],
    ['--columns=type', 'list', 'qos', 'p1'],
    ['--no-wait', 'create', 'Flow_Table', 'name=t1'],
    ['--no-wait', '--id=@x', 'create', 'Mirror', 'name=m'],
    ['--no-wait', 'set', 'br', 'br0', 'mirrors=@nowhere'],
    ['--no-wait', '--id=@m', 'create', 'Mirror', 'name=m', '--', '--id=@m', 'create', 'Mirror', 'name=n'],
    ['--no-wait', 'destroy', 'bridge'],
    ['--no-wait', '--all', 'destroy', 'bridge', 'br0'],
    ['--no-wait', '--if-exists', 'destroy', 'flow_table', 'nope'],
    ['--no-wait', 'destroy', 'flow_table', 't1'],
    ['--columns=name', 'list', 'flow_table'],
    ['--no-wait', 'destroy', 'qos', 'p1'],
    ['wait-until', 'bridge', 'br0', 'stp_enable=true'],
    ['--oneline', 'get', 'br', 'br0', 'name', '--', 'get', 'br', 'br0', 'other_config'],
    ['comment', 'hello', '--', 'get', 'br', 'br0', 'name'],
    ['--dry-run', '--no-wait', 'set', 'br', 'br0', 'external_ids:dry=run'],
    ['get', 'br', 'br0', 'external_ids'],
    ['--id=@b', 'get', 'br', 'br0', '--', '--id=@b', 'get', 'br', 'br0'],
    ['--id=@b', '--if-exists', 'get', 'br', 'br0'],
    ['frob'],
    ['--foo'],
    ['--d'],
    ['list'],
    ['--id=@a', 'list', 'br'],
    ['get', 'br', 'br0', '--x'],
    ['--format=xx', 'list', 'br'],
    ['--timeout=0', 'list', 'br'],
  ];

  for (const args of CASES) {
    test(args.join(' '), async () => {
      const [a, b] = await both(real, ours, args);
      assert.deepEqual(normalise(b), normalise(a));
    });
  }

  test('tsovs vsctl works against the real ovsdb-server', async () => {
    for (const args of [
      ['--no-wait', 'set', 'br', 'br0', 'external_ids:k=v'],
      ['get', 'br', 'br0', 'external_ids'],
      ['--columns=name', 'find', 'port', 'name=p1'],
      ['--no-wait', '--id=@q', 'create', 'QoS', 'type=x', '--', 'set', 'port', 'p1', 'qos=@q'],
      ['--columns=type', 'list', 'qos'],
    ]) {
      const [a, b] = await both(realTwin, oursOnReal, args);
      assert.deepEqual(normalise(b), normalise(a), args.join(' '));
    }
  });

  test('a change waits for cur_cfg; --timeout ends it by SIGALRM after logging', async () => {
    const args = ['--timeout=1', 'set', 'br', 'br0', 'external_ids:wait=1'];
    const [a, b] = await both(real, ours, args);
    assert.equal(a.signal, 'SIGALRM');
    assert.deepEqual({ ...normalise(b), signal: b.signal }, { ...normalise(a), signal: a.signal });
  });

  test('a read-only command does not wait', async () => {
    const [a, b] = await both(real, ours, ['--timeout=5', 'get', 'br', 'br0', 'name']);
    assert.deepEqual(normalise(b), normalise(a));
  });

  test('an unreachable database', async () => {
    const args = ['--db=unix:/nonexistent/db.sock', 'list', 'br'];
    const [a, b] = await Promise.all([runCommand('ovs-vsctl', args), runTsovs(['vsctl', ...args])]);
    assert.deepEqual(normalise(b), normalise(a));
  });
});
