// Open vSwitch connection strings: active `unix:PATH`, `tcp:HOST:PORT` and passive `punix:PATH`,
// `ptcp:[PORT][:IP]` (IPv6 in [brackets]), parsed with OVS's rules, plus connect() and listen() over them.
import { lstatSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';

/** An address to connect to. */
export type ActiveAddress = { type: 'unix'; path: string } | { type: 'tcp'; host: string; port: number };

/** An address to listen on (port 0: the kernel picks one). */
export type PassiveAddress = { type: 'punix'; path: string } | { type: 'ptcp'; host: string; port: number };

/** A connection string that cannot be used; `code` is 'unknown stream type' or 'invalid address'. */
export class AddressError extends Error {
  constructor(
    /** 'unknown stream type' (bad or missing TYPE: prefix) or 'invalid address' (bad arguments). */
    readonly code: 'unknown stream type' | 'invalid address',
    message: string,
  ) {
    super(message);
    this.name = 'AddressError';
  }
}

/** Options for parsing addresses. */
export interface ParseOptions {
  /** Port used when a tcp:/ptcp: address gives none (OVSDB uses 6640); without it the port is required. */
  defaultPort?: number;
  /** Directory that relative unix socket paths are taken from (OVS uses its rundir); default: cwd. */
  rundir?: string;
}

const ACTIVE_FORMS = 'unix:PATH or tcp:IP:PORT';
const PASSIVE_FORMS = 'punix:PATH or ptcp:PORT[:IP]';
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_UNIX_PATH_BYTES = 107;

function splitType(address: string, expected: string): [string, string] {
  const colon = address.indexOf(':');
  if (colon <= 0) {
    throw new AddressError('unknown stream type', `"${address}": unknown stream type (expected ${expected})`);
  }
  return [address.slice(0, colon), address.slice(colon + 1)];
}

function unknownType(address: string, type: string, expected: string): AddressError {
  const ssl = type === 'ssl' || type === 'pssl' ? ' (SSL is not supported)' : '';
  return new AddressError(
    'unknown stream type',
    `"${address}": unknown stream type "${type}"${ssl} (expected ${expected})`,
  );
}

function unixPath(address: string, rest: string, options: ParseOptions): string {
  if (rest === '') throw new AddressError('invalid address', `"${address}": missing socket path`);
  const path = resolve(options.rundir ?? '.', rest);
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) {
    throw new AddressError(
      'invalid address',
      `"${address}": unix socket path longer than ${MAX_UNIX_PATH_BYTES} bytes`,
    );
  }
  return path;
}

function parsePort(address: string, text: string | undefined, options: ParseOptions, min: number): number {
  if (text === undefined || text === '') {
    if (options.defaultPort !== undefined) return options.defaultPort;
    throw new AddressError('invalid address', `"${address}": port must be specified`);
  }
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= min && port <= 65535)) {
    throw new AddressError('invalid address', `"${address}": bad port number "${text}"`);
  }
  return port;
}

function unbracket(address: string, text: string): string {
  const m = /^\[([^\]]*)\]$/.exec(text);
  if (m) return m[1];
  if (text.includes(':') || text.includes('[')) {
    throw new AddressError('invalid address', `"${address}": IPv6 addresses must be in [brackets]`);
  }
  return text;
}

/** Splits tcp's "HOST:PORT" / "[V6]:PORT" (port optional). */
function splitHostPort(address: string, text: string): { host: string; port?: string } {
  const end = text.startsWith('[') ? text.indexOf(']') + 1 : 0;
  const colon = text.indexOf(':', end);
  if (end === 0 && colon !== text.lastIndexOf(':')) {
    throw new AddressError('invalid address', `"${address}": IPv6 addresses must be in [brackets]`);
  }
  if (colon < 0) return { host: unbracket(address, text) };
  return { host: unbracket(address, text.slice(0, colon)), port: text.slice(colon + 1) };
}

/** Splits ptcp's "PORT:IP" / "PORT:[V6]" (both optional). */
function splitPortHost(address: string, text: string): { host?: string; port: string } {
  const colon = text.indexOf(':');
  if (colon < 0) return { port: text };
  return { port: text.slice(0, colon), host: unbracket(address, text.slice(colon + 1)) };
}

function checkHost(address: string, host: string | undefined, allowNames: boolean): string {
  if (host === undefined || host === '')
    throw new AddressError('invalid address', `"${address}": missing host`);
  if (isIP(host) !== 0) return host;
  if (allowNames && /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) return host;
  throw new AddressError('invalid address', `"${address}": bad IP address "${host}"`);
}

/** Parses `unix:PATH` or `tcp:HOST:PORT` (HOST an IP, [IPv6] or name); throws `AddressError`. */
export function parseActiveAddress(address: string, options: ParseOptions = {}): ActiveAddress {
  const [type, rest] = splitType(address, ACTIVE_FORMS);
  if (type === 'unix') return { type, path: unixPath(address, rest, options) };
  if (type === 'tcp') {
    const { host, port } = splitHostPort(address, rest);
    return { type, host: checkHost(address, host, true), port: parsePort(address, port, options, 1) };
  }
  if (type === 'punix' || type === 'ptcp') {
    const msg = `"${address}" is a passive (listening) address where an active one is needed (${ACTIVE_FORMS})`;
    throw new AddressError('unknown stream type', msg);
  }
  throw unknownType(address, type, ACTIVE_FORMS);
}

/** Parses `punix:PATH` or `ptcp:[PORT][:IP]` (IP defaults to 0.0.0.0); throws `AddressError`. */
export function parsePassiveAddress(address: string, options: ParseOptions = {}): PassiveAddress {
  const [type, rest] = splitType(address, PASSIVE_FORMS);
  if (type === 'punix') return { type, path: unixPath(address, rest, options) };
  if (type === 'ptcp') {
    const { host, port } = splitPortHost(address, rest);
    const ip = host === undefined || host === '' ? '0.0.0.0' : checkHost(address, host, false);
    return { type, host: ip, port: parsePort(address, port, options, 0) };
  }
  if (type === 'unix' || type === 'tcp') {
    const msg = `"${address}" is an active (connecting) address where a passive one is needed (${PASSIVE_FORMS})`;
    throw new AddressError('unknown stream type', msg);
  }
  throw unknownType(address, type, PASSIVE_FORMS);
}

/** Formats a host and port the way OVS names TCP peers: "IP:PORT", "[V6]:PORT". */
function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The connection string for an address, e.g. `tcp:[::1]:6640`, `punix:/run/db.sock`. */
export function formatAddress(address: ActiveAddress | PassiveAddress): string {
  switch (address.type) {
    case 'unix':
    case 'punix':
      return `${address.type}:${address.path}`;
    case 'tcp':
      return `tcp:${hostPort(address.host, address.port)}`;
    case 'ptcp':
      return `ptcp:${address.port}:${isIP(address.host) === 6 ? `[${address.host}]` : address.host}`;
  }
}

/** Connects to an active address; resolves once connected, rejects with the system error (e.g. ENOENT). */
export function connect(address: string | ActiveAddress, options: ParseOptions = {}): Promise<Socket> {
  const target = typeof address === 'string' ? parseActiveAddress(address, options) : address;
  return new Promise((resolvePromise, reject) => {
    const socket =
      target.type === 'unix'
        ? createConnection({ path: target.path })
        : createConnection({ host: target.host, port: target.port });
    const onError = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      if (target.type === 'tcp') socket.setNoDelay(true);
      resolvePromise(socket);
    });
  });
}

/** A listening socket made by `listen()`. */
export interface Listener {
  /** The address actually bound, e.g. `ptcp:41523:127.0.0.1` when port 0 was asked for. */
  readonly address: string;
  /** Stops accepting (connections already made stay open) and removes a punix socket file. */
  close(): Promise<void>;
}

/** Called for each accepted connection with a name for logs ("unix#3", "tcp:10.0.0.2:51234"). */
export type ConnectionCallback = (socket: Socket, name: string) => void;

/** Removes a leftover socket file at `path` (a regular file there is an error, not something to delete). */
function removeStaleSocket(path: string): void {
  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) {
    const err: NodeJS.ErrnoException = new Error(`${path}: exists and is not a socket`);
    err.code = 'EADDRINUSE';
    throw err;
  }
  unlinkSync(path);
}

function startServer(server: Server, target: PassiveAddress): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolvePromise();
    };
    if (target.type === 'punix') server.listen({ path: target.path, backlog: 64 }, done);
    else server.listen({ host: target.host, port: target.port, backlog: 64 }, done);
  });
}

/** Listens on a passive address; a stale punix socket file is replaced; rejects with the system error. */
export async function listen(
  address: string | PassiveAddress,
  onConnection: ConnectionCallback,
  options: ParseOptions = {},
): Promise<Listener> {
  const target = typeof address === 'string' ? parsePassiveAddress(address, options) : address;
  if (target.type === 'punix') removeStaleSocket(target.path);
  let count = 0;
  const server = createServer((socket) => {
    if (target.type === 'ptcp') socket.setNoDelay(true);
    const name =
      target.type === 'punix'
        ? `unix#${count++}`
        : `tcp:${hostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0)}`;
    onConnection(socket, name);
  });
  await startServer(server, target);
  return makeListener(server, target);
}

function makeListener(server: Server, target: PassiveAddress): Listener {
  let bound: PassiveAddress = target;
  let inode: number | null = null;
  if (target.type === 'ptcp') {
    const info = server.address();
    if (info !== null && typeof info === 'object')
      bound = { type: 'ptcp', host: info.address, port: info.port };
  } else {
    inode = statSync(target.path).ino;
  }
  return {
    address: formatAddress(bound),
    close: () => closeServer(server, target, inode),
  };
}

async function closeServer(server: Server, target: PassiveAddress, inode: number | null): Promise<void> {
  if (!server.listening) return;
  server.close();
  if (target.type !== 'punix') return;
  try {
    // Remove the socket file only if it is still ours (a new server may have taken the path).
    if (statSync(target.path).ino === inode) unlinkSync(target.path);
  } catch {
    // Already gone.
  }
}
