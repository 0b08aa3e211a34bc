/**
 * A private Open vSwitch (ovsdb-server, optionally ovs-vswitchd) for tests.
 *
 * Everything lives in a fresh temp dir; the daemons run inside a network
 * namespace created for the instance so bridges and tap devices never appear
 * in the root namespace. The database socket is a UNIX socket, reachable from
 * any namespace, so test code connects to `dbSock` directly.
 *
 * Requires root (ip netns) and the openvswitch-switch binaries.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCHEMA_CANDIDATES = ['/usr/share/openvswitch/vswitch.ovsschema', '/usr/local/share/openvswitch/vswitch.ovsschema'];
const BINARIES = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ip'];
const CMD_TIMEOUT_MS = 20_000;
const TERM_GRACE_MS = 5_000;
// sockaddr_un.sun_path is 108 bytes including the NUL.
const MAX_SOCK_PATH = 107;

export interface StartOvsOptions {
  /**
   * Namespace to run the daemons in. Omitted: a fresh `ferry-ovsdbt-<random>`
   * is created and deleted on stop. A name: used as is; created (and later
   * deleted) only if it does not exist yet. null: no namespace.
   */
  netns?: string | null;
  /** Also start ovs-vswitchd (fills ofport, datapath_id, ...). */
  withVswitchd: boolean;
  /** More ovsdb-server arguments (e.g. `--remote=ptcp:PORT:127.0.0.1`, SSL key and certificates). */
  serverArgs?: readonly string[];
}

export interface OvsInstance {
  dir: string;
  dbSock: string;
  /** Namespace the daemons run in, undefined when none. */
  netns: string | undefined;
  /** Run `ovs-vsctl --db=unix:<dbSock> ...args`; resolves with trimmed stdout. */
  vsctl(args: readonly string[]): Promise<string>;
  /** Run `ovs-appctl -t <dir>/<daemon>.ctl ...args`. */
  appctl(daemon: 'ovsdb-server' | 'ovs-vswitchd', args: readonly string[]): Promise<string>;
  /** Run a command inside the instance's namespace (or directly when there is none). */
  exec(cmd: string, args: readonly string[]): Promise<string>;
  /** Kill the daemons, delete the namespace (if ours) and the temp dir. Safe to call more than once. */
  stop(): Promise<void>;
}

function which(bin: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
  for (const d of dirs) {
    const p = path.join(d, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Why a private OVS cannot be started here, or undefined if it can. */
export function ovsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return `missing binaries: ${missing.join(', ')} (apt install openvswitch-switch iproute2)`;
  if (!SCHEMA_CANDIDATES.some((p) => existsSync(p))) return 'vswitch.ovsschema not found';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, ovs-vswitchd)';
  return undefined;
}

function run(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: CMD_TIMEOUT_MS, env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}${stderr ? `\n${stderr.trim()}` : ''}`));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True while the process exists and is not a zombie (a detached daemon's zombie may linger until init reaps it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Guard against PID reuse: only signal a process whose command line mentions our unique dir. */
function ownedBy(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + TERM_GRACE_MS;
  while (Date.now() < deadline) {
    if (!alive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const killDeadline = Date.now() + 2_000;
  while (alive(pid) && Date.now() < killDeadline) await sleep(20);
}

function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`) || existsSync(`/var/run/netns/${name}`);
}

export async function startOvs(opts: StartOvsOptions): Promise<OvsInstance> {
  const reason = ovsUnavailableReason();
  if (reason) throw new Error(`cannot start Open vSwitch: ${reason}`);
  const schema = SCHEMA_CANDIDATES.find((p) => existsSync(p)) as string;

  let base = os.tmpdir();
  // Keep the socket path within sun_path even when TMPDIR is long.
  if (path.join(base, 'ferry-ovsdbt-XXXXXX', 'ovs-vswitchd.ctl').length > MAX_SOCK_PATH) base = '/tmp';
  const dir = mkdtempSync(path.join(base, 'ferry-ovsdbt-'));
  const dbSock = path.join(dir, 'db.sock');
  const pidfiles = {
    vswitchd: path.join(dir, 'ovs-vswitchd.pid'),
    server: path.join(dir, 'ovsdb-server.pid'),
  };

  let netns: string | undefined;
  let ownNetns = false;
  if (opts.netns === undefined) {
    netns = `ferry-ovsdbt-${randomBytes(4).toString('hex')}`;
    ownNetns = true;
  } else if (opts.netns !== null) {
    netns = opts.netns;
    ownNetns = !netnsExists(netns);
  }

  const env: NodeJS.ProcessEnv = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const inNs = (cmd: string, args: readonly string[]): [string, string[]] =>
    netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];

  let stopping: Promise<void> | undefined;
  const stopSync = () => {
    // Process exit: nothing async runs any more, so do the minimum synchronously.
    for (const f of [pidfiles.vswitchd, pidfiles.server]) {
      const pid = readPid(f);
      if (pid && ownedBy(pid, dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    if (ownNetns && netns && netnsExists(netns)) {
      try {
        execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore', timeout: 5_000 });
      } catch {
        /* best effort */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', stopSync);
      const problems: string[] = [];
      // vswitchd first so it does not log reconnect noise against a dead server.
      for (const f of [pidfiles.vswitchd, pidfiles.server]) {
        const pid = readPid(f);
        if (pid && ownedBy(pid, dir)) await terminate(pid);
        if (pid && alive(pid) && ownedBy(pid, dir)) problems.push(`pid ${pid} (${path.basename(f)}) survived SIGKILL`);
      }
      if (ownNetns && netns && netnsExists(netns)) {
        await run('ip', ['netns', 'delete', netns]).catch((e: Error) => problems.push(e.message));
      }
      rmSync(dir, { recursive: true, force: true });
      if (problems.length) throw new Error(`OVS test instance cleanup: ${problems.join('; ')}`);
    })();
    return stopping;
  };

  const vsctl = (args: readonly string[]) =>
    run('ovs-vsctl', [`--db=unix:${dbSock}`, '--timeout=15', ...(opts.withVswitchd ? [] : ['--no-wait']), ...args], env);

  try {
    if (ownNetns && netns) await run('ip', ['netns', 'add', netns]);
    await run('ovsdb-tool', ['create', path.join(dir, 'conf.db'), schema], env);
    await run(
      ...inNs('ovsdb-server', [
        path.join(dir, 'conf.db'),
        `--remote=punix:${dbSock}`,
        `--unixctl=${path.join(dir, 'ovsdb-server.ctl')}`,
        `--pidfile=${pidfiles.server}`,
        `--log-file=${path.join(dir, 'ovsdb-server.log')}`,
        '--detach',
        '--no-chdir',
        ...(opts.serverArgs ?? []),
      ]),
      env,
    );
    // A fresh database has no root row; ovs-vswitchd and most tools expect one.
    await run('ovs-vsctl', [`--db=unix:${dbSock}`, '--timeout=15', '--no-wait', 'init'], env);
    if (opts.withVswitchd) {
      // --detach returns once vswitchd has read its initial configuration.
      await run(
        ...inNs('ovs-vswitchd', [
          `unix:${dbSock}`,
          `--unixctl=${path.join(dir, 'ovs-vswitchd.ctl')}`,
          `--pidfile=${pidfiles.vswitchd}`,
          `--log-file=${path.join(dir, 'ovs-vswitchd.log')}`,
          '--detach',
          '--no-chdir',
        ]),
        env,
      );
    }
  } catch (e) {
    const logs = ['ovsdb-server.log', 'ovs-vswitchd.log']
      .map((f) => path.join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${path.basename(f)}\n${readFileSync(f, 'utf8').split('\n').slice(-20).join('\n')}`)
      .join('\n');
    await stop().catch(() => undefined);
    throw new Error(`${(e as Error).message}${logs ? `\n${logs}` : ''}`);
  }

  return {
    dir,
    dbSock,
    netns,
    vsctl,
    appctl: (daemon, args) => run('ovs-appctl', ['-t', path.join(dir, `${daemon}.ctl`), ...args], env),
    exec: (cmd, args) => run(...inNs(cmd, args), env),
    stop,
  };
}
