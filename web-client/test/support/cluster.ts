/**
 * Test harness for several engine nodes on one PostgreSQL behind HAProxy, as the README's
 * "Several nodes" runs them (the engine's own tests use testing/TestPostgres.java the same way):
 *
 *   const reason = clusterMissing();               // null, or why this machine cannot run it
 *   const pg = await startPostgres();              // initdb + pg_ctl in a temp dir, a free port
 *   const url = await pg.newDatabase('board');     // postgresql://postgres@127.0.0.1:PORT/board
 *   const proxy = await startHaproxy([p1, p2, p3]);// deploy/haproxy.cfg, PW_LISTEN/PW_NODEn set
 *   await proxy.stop(); await pg.stop();
 *
 * PostgreSQL refuses to run as root: as root its commands run as the `postgres` user (su).
 * Everything is also stopped when the test process exits, and a watchdog shell stops it if the
 * test process dies without running its exit handlers, by PID only.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, WEB_CLIENT_DIR } from './engine';

export const HAPROXY = '/usr/sbin/haproxy';
export const HAPROXY_CFG = resolve(WEB_CLIENT_DIR, '..', 'deploy', 'haproxy.cfg');

/** Debian's newest PostgreSQL server binaries (`/usr/lib/postgresql/N/bin`), or null. */
export function postgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b));
  const newest = versions[versions.length - 1];
  return newest === undefined ? null : join(root, newest, 'bin');
}

/** Why several nodes cannot run here (PostgreSQL or HAProxy not installed), or null. */
export function clusterMissing(): string | null {
  if (postgresBinaries() === null) return 'PostgreSQL is not installed (apt-get install postgresql; .ci/run does)';
  if (!existsSync(HAPROXY)) return 'HAProxy is not installed (apt-get install haproxy; .ci/run does)';
  return null;
}

const asPostgres = userInfo().username === 'root';

/** Runs a command (as `postgres` when we are root) and resolves with its output. */
function run(cmd: string[], timeoutMs: number, postgresUser = asPostgres): Promise<string> {
  const quoted = cmd.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  const [file, args] = postgresUser ? ['su', ['postgres', '-s', '/bin/sh', '-c', quoted]] : [cmd[0]!, cmd.slice(1)];
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolveRun(stdout.trim());
    });
  });
}

const cleanups = new Set<() => void>();
let exitHookInstalled = false;
function onExit(cleanup: () => void): void {
  cleanups.add(cleanup);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of cleanups) c();
  });
}

/**
 * A shell that waits for our end of its stdin to close (this process died, however it died),
 * then runs `command`. Killed when what it guards was stopped the ordinary way.
 */
function watchdog(command: string): ChildProcess {
  const dog = spawn('sh', ['-c', `cat >/dev/null; ${command}`], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  dog.unref();
  dog.on('error', () => {});
  dog.stdin?.on('error', () => {});
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

export class TestPostgres {
  private stopped = false;
  private readonly dog: ChildProcess;
  private readonly exitCleanup = () => this.stopNow();

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {
    const q = dir.replace(/'/g, `'\\''`);
    // SIGQUIT is PostgreSQL's immediate shutdown; the postmaster's PID is its pid file's first line
    this.dog = watchdog(`kill -QUIT $(head -1 '${q}/data/postmaster.pid') 2>/dev/null; sleep 2; rm -rf '${q}'`);
    onExit(this.exitCleanup);
  }

  /** initdb in a fresh temp dir, then pg_ctl start on 127.0.0.1 and a free port. */
  static async start(): Promise<TestPostgres> {
    const bin = postgresBinaries();
    if (bin === null) throw new Error('PostgreSQL is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'patchwire-e2e-pg-'));
    if (asPostgres) await run(['chown', 'postgres:postgres', dir], 30_000, false);
    else chmodSync(dir, 0o700);
    const pg = new TestPostgres(bin, dir, await freePort());
    try {
      const initdb = [join(bin, 'initdb'), '-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8'];
      await run([...initdb, '--no-locale', '--no-sync'], 120_000);
      // fsync off: a throwaway cluster; kill -9 of a node does not depend on it (the database survives that)
      await run(
        [
          join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-l', join(dir, 'pg.log'), '-w', '-t', '60', '-o',
          `-c listen_addresses=127.0.0.1 -p ${pg.port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
          'start',
        ],
        90_000,
      );
    } catch (e) {
      await pg.stop();
      throw e;
    }
    return pg;
  }

  /** Creates database `name` and returns its --database-url. */
  async newDatabase(name: string): Promise<string> {
    await run([join(this.bin, 'psql'), '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', 'postgres',
      '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`], 60_000, false);
    return `postgresql://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** the server's log, for failure messages */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'pg.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** pg_ctl stop -m immediate (a throwaway: no checkpoint), then the folder is removed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (existsSync(join(this.dir, 'data', 'postmaster.pid'))) {
      await run([join(this.bin, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop'], 60_000).catch(
        () => this.stopNow(),
      );
    }
    this.dog.kill('SIGKILL');
    cleanups.delete(this.exitCleanup);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** synchronous last resort, for process 'exit': SIGQUIT to the postmaster by its PID */
  private stopNow(): void {
    try {
      const pid = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) killQuietly(pid, 'SIGQUIT');
    } catch {
      /* not running */
    }
  }
}

export function startPostgres(): Promise<TestPostgres> {
  return TestPostgres.start();
}

export interface Haproxy {
  readonly port: number;
  readonly baseUrl: string;
  readonly pid: number;
  /** its output (the last 64 KiB), for failure messages */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * HAProxy with the checked-in deploy/haproxy.cfg in front of up to three node ports (the cfg
 * names three servers: with fewer nodes the last one fills the rest), on a free port; resolves
 * once `/health` answers 200 through it.
 */
export async function startHaproxy(nodePorts: number[]): Promise<Haproxy> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PW_LISTEN: `127.0.0.1:${port}` };
  for (let i = 0; i < 3; i++) env[`PW_NODE${i + 1}`] = `127.0.0.1:${nodePorts[Math.min(i, nodePorts.length - 1)]}`;
  const child = spawn(HAPROXY, ['-f', HAPROXY_CFG, '-db'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pid = child.pid!;
  const dog = watchdog(`kill -9 ${pid} 2>/dev/null`);
  const exitCleanup = () => killQuietly(pid, 'SIGKILL');
  onExit(exitCleanup);
  let running = true;
  void exited.then(() => (running = false));
  const proxy: Haproxy = {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    logs: () => log,
    async stop() {
      if (running) {
        child.kill('SIGTERM'); // by its own handle: this PID only
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (running) child.kill('SIGKILL');
        await exited;
      }
      dog.kill('SIGKILL');
      cleanups.delete(exitCleanup);
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (!running) throw new Error(`HAProxy exited at start:\n${log}`);
    try {
      if ((await fetch(`${proxy.baseUrl}/health`)).status === 200) return proxy;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await proxy.stop();
      throw new Error(`HAProxy did not answer /health on ${port} within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
