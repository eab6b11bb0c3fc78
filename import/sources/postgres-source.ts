// The Python release agent's PostgreSQL database as an import source (node-postgres). One read-only
// REPEATABLE READ transaction gives the three tables as one consistent snapshot; each table is read
// through a server-side cursor in batches, so memory stays flat however large the tables are.
import pg from 'pg';
import { isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import type { ReleaseRow, SourceTable, ThreadRow } from '../mapping.ts';
import type { ImportSource, SourceItem } from './source.ts';

export interface PostgresSourceOptions {
  /** `postgresql://user:password@host:port/database` (the Python agent's POSTGRES_DSN). */
  dsn: string;
  /** Rows per FETCH (default 500). */
  batchSize?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
}

/** The columns the import reads (the Python agent's README), per table. */
export const PYTHON_AGENT_COLUMNS: Readonly<Record<SourceTable, readonly string[]>> = {
  agent_threads: [
    'thread_id',
    'graph_name',
    'repo_name',
    'pr_id',
    'status',
    'state',
    'slack_message_ts',
    'created_at',
    'updated_at',
  ],
  staging_releases: ['repo', 'version', 'started_at', 'tickets', 'updated_at'],
  archived_releases: ['repo', 'version', 'started_at', 'tickets', 'released_at'],
};

// JSON(B) columns come back as their text: the mapping decides what is malformed, and TEXT columns work too.
const SELECTS: Readonly<Record<SourceTable, string>> = {
  agent_threads:
    'SELECT thread_id, graph_name, repo_name, pr_id, status, state::text AS state, slack_message_ts, ' +
    'created_at, updated_at FROM agent_threads ORDER BY thread_id',
  staging_releases:
    'SELECT repo, version, started_at, tickets::text AS tickets, updated_at FROM staging_releases ORDER BY repo',
  archived_releases:
    'SELECT repo, version, started_at, tickets::text AS tickets, released_at FROM archived_releases ' +
    'ORDER BY repo, version',
};

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;

/** Parsers as node-postgres has them, except a zone-less TIMESTAMP stays text (the mapping reads it as UTC, not local time). */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE && format !== 'binary'
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface ParsedDsn {
  /** What node-postgres is given (a SQLAlchemy `postgresql+driver://` spelling is made plain). */
  connectionString: string;
  /** The DSN without its password, safe to print. */
  description: string;
  /** host:port for messages. */
  server: string;
  database: string;
  user: string;
  /** The password as written and decoded, for redaction. */
  secrets: string[];
}

/** Parses a PostgreSQL URL; CONFIG_INVALID (never quoting the DSN, which holds a password) otherwise. */
export function parseDsn(dsn: string): ParsedDsn {
  const text = dsn.trim().replace(/^postgres(?:ql)?\+[A-Za-z0-9_]+:\/\//, 'postgresql://');
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new ReleaseAgentError(
      'CONFIG_INVALID',
      'the DSN is not a PostgreSQL URL: expected postgresql://user:password@host:port/database',
      { variable: 'POSTGRES_DSN' },
    );
  }
  const secrets = url.password ? [url.password, safeDecode(url.password)] : [];
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const database = safeDecode(url.pathname.replace(/^\//, '')) || safeDecode(url.username) || 'postgres';
  return {
    connectionString: text,
    description: shown.href,
    server: `${host}:${url.port || '5432'}`,
    database,
    user: safeDecode(url.username),
    secrets,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Connects, checks the tables and columns, and opens the snapshot. Errors are coded and name no secret. */
export async function openPostgresSource(options: PostgresSourceOptions): Promise<ImportSource> {
  const dsn = parseDsn(options.dsn);
  const batchSize = options.batchSize ?? 500;
  const client = new pg.Client({
    connectionString: dsn.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'release-agent-import',
    types: typeParsers,
  });
  // A connection that drops while idle emits 'error'; keep it for the next query instead of crashing.
  let lost: unknown;
  client.on('error', (error) => {
    lost = error;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, dsn);
  }

  const query = async <Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []) => {
    if (lost) throw sourceError(lost, dsn);
    try {
      return await client.query<Row>(sql, values);
    } catch (error) {
      throw sourceError(error, dsn);
    }
  };

  try {
    await query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await checkSchema(query, dsn);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }

  let cursors = 0;
  async function* rows<Row>(table: SourceTable): AsyncIterable<SourceItem<Row>> {
    const cursor = `import_${table}_${++cursors}`;
    await query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${SELECTS[table]}`);
    try {
      for (;;) {
        const batch = await query<pg.QueryResultRow>(`FETCH ${batchSize} FROM ${cursor}`);
        for (const row of batch.rows) yield { row: row as Row };
        if (batch.rows.length < batchSize) break;
      }
    } finally {
      if (!lost) await client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  return {
    description: dsn.description,
    async count(table) {
      const result = await query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`);
      return result.rows[0]?.count;
    },
    threads: () => rows<ThreadRow>('agent_threads'),
    stagingReleases: () => rows<ReleaseRow>('staging_releases'),
    archivedReleases: () => rows<ReleaseRow>('archived_releases'),
    async close() {
      // Read-only: nothing to commit.
      if (!lost) await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

type Query = <Row extends pg.QueryResultRow>(sql: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

/** Every missing table or column at once, so one run tells what is wrong. */
async function checkSchema(query: Query, dsn: ParsedDsn): Promise<void> {
  const tables = Object.keys(PYTHON_AGENT_COLUMNS);
  const found = await query<{ table_name: string; column_name: string }>(
    'SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns ' +
      'WHERE table_schema = ANY (current_schemas(false)) AND table_name = ANY ($1)',
    [tables],
  );
  const columns = new Map<string, Set<string>>();
  for (const { table_name, column_name } of found.rows) {
    columns.set(table_name, (columns.get(table_name) ?? new Set()).add(column_name));
  }
  const missing: string[] = [];
  for (const [table, wanted] of Object.entries(PYTHON_AGENT_COLUMNS)) {
    const present = columns.get(table);
    if (!present) missing.push(`table ${table}`);
    else for (const column of wanted) if (!present.has(column)) missing.push(`column ${table}.${column}`);
  }
  if (missing.length > 0) {
    throw new ReleaseAgentError(
      'IMPORT_SOURCE_INVALID',
      `database ${dsn.database} on ${dsn.server} is not the Python release agent's: missing ${missing.join(', ')}`,
      { database: dsn.database, missing },
    );
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors while connecting: unreachable, login refused, no such database. */
function connectError(error: unknown, dsn: ParsedDsn): ReleaseAgentError {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === '28P01' || code === '28000') {
    return new ReleaseAgentError(
      'AUTH_INVALID',
      `PostgreSQL on ${dsn.server} refused the login of user ${JSON.stringify(dsn.user)}: ${message}`,
      { server: dsn.server, user: dsn.user },
    );
  }
  if (code === '3D000') {
    return new ReleaseAgentError(
      'IMPORT_SOURCE_INVALID',
      `database ${JSON.stringify(dsn.database)} does not exist on ${dsn.server}`,
      { server: dsn.server, database: dsn.database },
    );
  }
  return new ReleaseAgentError(
    'SERVICE_NETWORK',
    `cannot reach PostgreSQL on ${dsn.server}: ${code && NETWORK_CODES.has(code) ? code : message}`,
    { server: dsn.server, code },
  );
}

/** Errors after connecting: a lost connection, or the server refusing a query (permissions…). */
function sourceError(error: unknown, dsn: ParsedDsn): ReleaseAgentError {
  if (isReleaseAgentError(error)) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && /^[0-9A-Z]{5}$/.test(code) && !NETWORK_CODES.has(code)) {
    return new ReleaseAgentError(
      'IMPORT_SOURCE_INVALID',
      `PostgreSQL on ${dsn.server}: ${message} (${code})`,
      {
        server: dsn.server,
        code,
      },
    );
  }
  return new ReleaseAgentError(
    'SERVICE_NETWORK',
    `lost the connection to PostgreSQL on ${dsn.server}: ${message}`,
    {
      server: dsn.server,
      code,
    },
  );
}
