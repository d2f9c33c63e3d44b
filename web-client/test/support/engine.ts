/**
 * Test harness: runs the REAL patchwire engine jar as a child process.
 *
 *   const engine = await startEngine();            // fresh data dir, free port, demo seed
 *   engine.baseUrl                                 // http://127.0.0.1:PORT
 *   await engine.stop();                           // SIGTERM: WebSockets close with 1001
 *   await engine.kill();                           // SIGKILL: no goodbye at all
 *   await engine.start();                          // same port, same data dir
 *   engine.wipeData();                             // (stopped) a fresh database: a new epoch
 *   await engine.dispose();                        // stop + remove the data dir
 *
 * `useEngine()` does the start/dispose in beforeAll/afterAll. Every engine is also killed when
 * the test process exits, and a tiny watchdog shell kills it if the test process dies without
 * running its exit handlers (SIGKILL of the vitest worker), so no JVM outlives a run.
 *
 * The jar is `$PATCHWIRE_JAR`, else `<web-client>/../engine/target/patchwire.jar`.
 * `$PATCHWIRE_JAVA` picks the java binary (default `java` on the PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
/** the web-client folder (this file is web-client/test/support/engine.ts) */
export const WEB_CLIENT_DIR = resolve(here, '..', '..');
export const DEFAULT_JAR = resolve(WEB_CLIENT_DIR, '..', 'engine', 'target', 'patchwire.jar');

export function jarPath(): string {
  return process.env.PATCHWIRE_JAR ? resolve(process.env.PATCHWIRE_JAR) : DEFAULT_JAR;
}

export interface EngineOptions {
  /** seed the demo project (project `demo`, tasks task-1..5); default true */
  seed?: boolean;
  /** more command-line flags for the engine, e.g. ['--history-bytes', '1m'] */
  args?: string[];
  /** how long start() waits for the listening line; default 30 s */
  startTimeoutMs?: number;
}

const LISTENING = /patchwire listening on (http:\/\/127\.0\.0\.1:(\d+))\b[^\n]*epoch ([0-9a-f]+)/;
const LOG_LIMIT = 64 * 1024;

/** A port nobody listens on right now (the kernel's pick), so a restart can reuse it. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const live = new Set<Engine>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is still running, remove data dirs.
  process.on('exit', () => {
    for (const engine of live) engine.killNow();
  });
}

export class Engine {
  readonly dataDir: string;
  port: number;
  /** the store's epoch, from the last listening line */
  epoch: string | null = null;
  private child: ChildProcess | null = null;
  private watchdog: ChildProcess | null = null;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  private log = '';
  private disposed = false;

  constructor(
    port: number,
    private readonly options: EngineOptions = {},
  ) {
    this.port = port;
    this.dataDir = mkdtempSync(join(tmpdir(), 'patchwire-it-'));
    live.add(this);
    installExitHook();
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** the engine's stdout and stderr (the last 64 KiB), for failure messages */
  logs(): string {
    return this.log;
  }

  /** Starts the engine on this.port with this.dataDir and waits for its listening line. */
  async start(): Promise<void> {
    if (this.disposed) throw new Error('engine disposed');
    if (this.child) throw new Error('engine already running');
    const jar = jarPath();
    if (!existsSync(jar)) {
      throw new Error(`patchwire jar not found at ${jar} (build the engine or set PATCHWIRE_JAR)`);
    }
    const args = ['-jar', jar, '--host', '127.0.0.1', '--port', String(this.port), '--data', this.dataDir];
    if (this.options.seed === false) args.push('--no-seed');
    args.push(...(this.options.args ?? []));
    // The engine reads every flag from a PATCHWIRE_* variable too: what the shell exported (a JWT
    // secret, a port) must not change the test engine; tests pass what they want as flags.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PATCHWIRE_')));
    const child = spawn(process.env.PATCHWIRE_JAVA ?? 'java', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.stopWatchdog();
        this.append(`\n[engine exited: ${code ?? signal}]\n`);
        resolveExit({ code, signal });
      });
    });
    this.startWatchdog(child.pid);

    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    let stdout = '';
    let started = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => this.append(chunk));
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolveStart, reject) => {
      const fail = (why: string) => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`patchwire did not start (${why}): java ${args.join(' ')}\n--- output ---\n${this.log}`));
      };
      const timer = setTimeout(() => fail(`no listening line within ${timeoutMs} ms`), timeoutMs);
      child.once('error', (err) => fail(String(err)));
      void this.exited!.then(({ code, signal }) => fail(`exited with ${code ?? signal}`));
      child.stdout!.on('data', (chunk: string) => {
        this.append(chunk);
        if (started) return;
        stdout += chunk;
        const m = LISTENING.exec(stdout);
        if (m) {
          started = true;
          clearTimeout(timer);
          this.port = Number(m[2]);
          this.epoch = m[3] ?? null;
          resolveStart();
        }
      });
    });
  }

  /** Empties the data dir (the engine must be stopped): the next start() makes a new database and epoch. */
  wipeData(): void {
    if (this.child) throw new Error('stop the engine before wiping its data');
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true });
  }

  /** SIGTERM and wait for the process to end (the engine closes WebSockets with 1001 first). */
  async stop(timeoutMs = 20_000): Promise<void> {
    await this.signal('SIGTERM', timeoutMs);
  }

  /** SIGKILL and wait for the process to end: no close frames, no shutdown hooks. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 10_000);
  }

  /**
   * SIGKILL and remove the data dir; idempotent. Not SIGTERM: the data is thrown away anyway, and
   * a graceful stop waits up to 2 s for clients' idle keep-alive connections (Vert.x shutdown).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (this.child) await this.kill();
    this.disposed = true;
    live.delete(this);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** synchronous last resort, for process 'exit' */
  killNow(): void {
    try {
      this.child?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    this.stopWatchdog();
    try {
      rmSync(this.dataDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }

  private async signal(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        exited,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`patchwire did not exit within ${timeoutMs} ms of ${signal}\n${this.log}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (this.child === child) this.child = null;
  }

  /**
   * A shell that waits for our end of its stdin to close (this process died, however it died)
   * and then SIGKILLs the JVM and removes its data dir. When the JVM exits first, the watchdog
   * is killed instead.
   */
  private startWatchdog(pid: number | undefined): void {
    if (!pid) return;
    const dir = this.dataDir.replace(/'/g, `'\\''`);
    const dog = spawn('sh', ['-c', `cat >/dev/null; kill -9 ${pid} 2>/dev/null; sleep 1; rm -rf '${dir}'`], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    dog.unref();
    dog.on('error', () => {});
    dog.stdin?.on('error', () => {});
    // Our end of the pipe must not keep the event loop alive.
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.watchdog = dog;
  }

  private stopWatchdog(): void {
    const dog = this.watchdog;
    this.watchdog = null;
    if (dog && dog.exitCode === null && dog.signalCode === null) {
      try {
        dog.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  private append(text: string): void {
    this.log += text;
    if (this.log.length > LOG_LIMIT) this.log = this.log.slice(this.log.length - LOG_LIMIT);
  }
}

/** A fresh engine (new data dir) on a port picked now, started. Retries a port lost to a race. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const engine = new Engine(await freePort(), options);
    try {
      await engine.start();
      return engine;
    } catch (err) {
      lastError = err;
      await engine.dispose();
      if (!/BindException|Address already in use/i.test(String(err))) break;
    }
  }
  throw lastError;
}

/** Starts an engine in beforeAll and disposes of it in afterAll; read `.engine` inside tests. */
export function useEngine(options: EngineOptions = {}): { readonly engine: Engine } {
  let engine: Engine | undefined;
  beforeAll(async () => {
    engine = await startEngine(options);
  });
  afterAll(async () => {
    await engine?.dispose();
  });
  return {
    get engine(): Engine {
      if (!engine) throw new Error('engine not started (use it inside a test or hook)');
      return engine;
    },
  };
}

/** GET a JSON answer from the engine, with its Patchwire-Seq header. */
export async function getJson<T = unknown>(
  engine: Engine,
  path: string,
): Promise<{ status: number; body: T; position: string | null }> {
  const res = await fetch(engine.baseUrl + path);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, position: res.headers.get('patchwire-seq') };
}
