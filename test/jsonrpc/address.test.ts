// OVS connection strings: parsing (with the error texts), and connect()/listen() over unix and TCP.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AddressError,
  connect,
  formatAddress,
  listen,
  parseActiveAddress,
  parsePassiveAddress,
} from '../../src/jsonrpc/address.js';

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tsovs-addr-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** Reads everything `socket` sends until it ends. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('parseActiveAddress', () => {
  it('parses unix and tcp addresses', () => {
    assert.deepEqual(parseActiveAddress('unix:/run/db.sock'), { type: 'unix', path: '/run/db.sock' });
    assert.deepEqual(parseActiveAddress('unix:db.sock', { rundir: '/var/run/tsovs' }), {
      type: 'unix',
      path: '/var/run/tsovs/db.sock',
    });
    assert.deepEqual(parseActiveAddress('tcp:127.0.0.1:6640'), {
      type: 'tcp',
      host: '127.0.0.1',
      port: 6640,
    });
    assert.deepEqual(parseActiveAddress('tcp:[::1]:6641'), { type: 'tcp', host: '::1', port: 6641 });
    assert.deepEqual(parseActiveAddress('tcp:db.example.org:1'), {
      type: 'tcp',
      host: 'db.example.org',
      port: 1,
    });
    assert.deepEqual(parseActiveAddress('tcp:10.0.0.1', { defaultPort: 6640 }), {
      type: 'tcp',
      host: '10.0.0.1',
      port: 6640,
    });
  });

  it('refuses bad addresses with clear messages', () => {
    const cases: [string, string, RegExp][] = [
      [
        'foo:bar',
        'unknown stream type',
        /"foo:bar": unknown stream type "foo" \(expected unix:PATH or tcp:IP:PORT\)/,
      ],
      ['/tmp/x.sock', 'unknown stream type', /unknown stream type \(expected unix:PATH or tcp:IP:PORT\)/],
      ['ssl:1.2.3.4:6640', 'unknown stream type', /SSL is not supported/],
      ['punix:/x', 'unknown stream type', /is a passive \(listening\) address/],
      ['tcp:1.2.3.4', 'invalid address', /"tcp:1.2.3.4": port must be specified/],
      ['tcp:1.2.3.4:0', 'invalid address', /bad port number "0"/],
      ['tcp:1.2.3.4:70000', 'invalid address', /bad port number "70000"/],
      ['tcp:1.2.3.4:x', 'invalid address', /bad port number "x"/],
      ['tcp:::1:6640', 'invalid address', /IPv6 addresses must be in \[brackets\]/],
      ['tcp::6640', 'invalid address', /missing host/],
      ['tcp:bad_host!:6640', 'invalid address', /bad IP address "bad_host!"/],
      ['unix:', 'invalid address', /missing socket path/],
      [`unix:/${'x'.repeat(120)}`, 'invalid address', /longer than 107 bytes/],
    ];
    for (const [text, code, message] of cases) {
      assert.throws(
        () => parseActiveAddress(text),
        (err: unknown) => err instanceof AddressError && err.code === code && message.test(err.message),
        text,
      );
    }
  });
});

describe('parsePassiveAddress', () => {
  it('parses punix and ptcp addresses', () => {
    assert.deepEqual(parsePassiveAddress('punix:/run/db.sock'), { type: 'punix', path: '/run/db.sock' });
    assert.deepEqual(parsePassiveAddress('ptcp:6640'), { type: 'ptcp', host: '0.0.0.0', port: 6640 });
    assert.deepEqual(parsePassiveAddress('ptcp:0:127.0.0.1'), { type: 'ptcp', host: '127.0.0.1', port: 0 });
    assert.deepEqual(parsePassiveAddress('ptcp:6640:[::1]'), { type: 'ptcp', host: '::1', port: 6640 });
    assert.deepEqual(parsePassiveAddress('ptcp:', { defaultPort: 6640 }), {
      type: 'ptcp',
      host: '0.0.0.0',
      port: 6640,
    });
    assert.equal(formatAddress(parsePassiveAddress('ptcp:6640:[::1]')), 'ptcp:6640:[::1]');
    assert.equal(formatAddress(parseActiveAddress('tcp:[::1]:6640')), 'tcp:[::1]:6640');
  });

  it('refuses bad addresses with clear messages', () => {
    assert.throws(() => parsePassiveAddress('unix:/x'), /is an active \(connecting\) address/);
    assert.throws(
      () => parsePassiveAddress('pfoo:1'),
      /unknown stream type "pfoo" \(expected punix:PATH or ptcp:PORT\[:IP\]\)/,
    );
    assert.throws(() => parsePassiveAddress('ptcp:'), /port must be specified/);
    assert.throws(() => parsePassiveAddress('ptcp:6640:::1'), /\[brackets\]/);
    assert.throws(() => parsePassiveAddress('ptcp:6640:host.name'), /bad IP address/);
  });
});

describe('connect and listen', () => {
  it('connects to a punix listener, replaces a stale socket file and removes it on close', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'x.sock');
      // A leftover socket file from a server that was killed before it could clean up.
      const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
      spawnSync(process.execPath, ['-e', script]);
      assert.equal(lstatSync(path).isSocket(), true);
      const names: string[] = [];
      const listener = await listen(`punix:${path}`, (socket, name) => {
        names.push(name);
        socket.end(`hello ${name}`);
      });
      try {
        assert.equal(listener.address, `punix:${path}`);
        assert.equal(await readAll(await connect(`unix:${path}`)), 'hello unix#0');
        assert.equal(await readAll(await connect({ type: 'unix', path })), 'hello unix#1');
        assert.deepEqual(names, ['unix#0', 'unix#1']);
      } finally {
        await listener.close();
      }
      assert.equal(existsSync(path), false);
    }));

  it('will not replace a regular file with a socket', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'file');
      writeFileSync(path, 'precious');
      await assert.rejects(
        listen(`punix:${path}`, () => {}),
        { code: 'EADDRINUSE' },
      );
      assert.equal(existsSync(path), true);
    }));

  it('listens on ptcp port 0 and reports the bound port', async () => {
    const listener = await listen('ptcp:0:127.0.0.1', (socket, name) => socket.end(name));
    try {
      const m = /^ptcp:(\d+):127\.0\.0\.1$/.exec(listener.address);
      assert.ok(m, listener.address);
      const socket = await connect(`tcp:127.0.0.1:${m[1]}`);
      assert.match(await readAll(socket), /^tcp:127\.0\.0\.1:\d+$/);
    } finally {
      await listener.close();
    }
  });

  it('rejects with the system error when nothing listens', () =>
    withTempDir(async (dir) => {
      await assert.rejects(connect(`unix:${join(dir, 'none.sock')}`), { code: 'ENOENT' });
    }));
});
