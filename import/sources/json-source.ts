// Release files exported as JSON as an import source: one file per release, `{ repo, version,
// started_at, tickets, released_at? }` (docs/import.md). A file with released_at is an archived
// release, one without is the repo's staging release. Every `*.json` under the folder is read, in
// path order, so a `releases/<repo>/<version>.json` layout works as well as a flat one.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ReleaseAgentError } from '../../core/errors.ts';
import type { ReleaseRow, ThreadRow } from '../mapping.ts';
import type { ImportSource, SourceItem } from './source.ts';

export interface JsonSourceOptions {
  directory: string;
}

/** Field spellings accepted in files: the tables' snake_case names first, then camelCase. */
const FIELDS: Readonly<Record<keyof Omit<ReleaseRow, 'origin'>, readonly string[]>> = {
  repo: ['repo', 'repository', 'repo_name'],
  version: ['version'],
  started_at: ['started_at', 'startedAt'],
  tickets: ['tickets'],
  updated_at: ['updated_at', 'updatedAt'],
  released_at: ['released_at', 'releasedAt'],
  notes: ['notes', 'release_notes', 'releaseNotes'],
  release_pr_id: ['release_pr_id', 'releasePrId'],
  tag: ['tag'],
};

/** The table a release-file problem is reported under when the file is not even a release. */
export const RELEASE_FILES = 'release_files';

export async function openJsonSource(options: JsonSourceOptions): Promise<ImportSource> {
  const directory = options.directory;
  const info = await stat(directory).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ReleaseAgentError(
      'IMPORT_SOURCE_INVALID',
      `release folder ${JSON.stringify(directory)} does not exist`,
      {
        directory,
      },
    );
  }
  const files = await jsonFiles(directory);
  // Release files are small: read once, then served per table.
  const staging: SourceItem<ReleaseRow>[] = [];
  const archived: SourceItem<ReleaseRow>[] = [];
  for (const file of files) {
    const origin = relative(directory, file).split(sep).join('/');
    const item = await readReleaseFile(file, origin);
    if ('unreadable' in item) archived.push(item);
    else if (item.row.released_at === undefined || item.row.released_at === null) staging.push(item);
    else archived.push(item);
  }
  const served = async function* <Row>(items: SourceItem<Row>[]) {
    yield* items;
  };
  return {
    description: `release files in ${directory}`,
    async count(table) {
      if (table === 'agent_threads') return 0;
      return (table === 'staging_releases' ? staging : archived).length;
    },
    threads: () => served<ThreadRow>([]),
    stagingReleases: () => served(staging),
    // Files that are not releases at all are reported in the first pass (archived releases come first).
    archivedReleases: () => served(archived),
    async close() {},
  };
}

async function jsonFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function readReleaseFile(file: string, origin: string): Promise<SourceItem<ReleaseRow>> {
  const unreadable = (reason: string): SourceItem<ReleaseRow> => ({
    unreadable: {
      table: RELEASE_FILES,
      key: `file=${JSON.stringify(origin)}`,
      reason,
    },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (error) {
    return unreadable(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return unreadable('not a JSON object with repo, version, started_at, tickets');
  }
  const fields = parsed as Record<string, unknown>;
  const row: ReleaseRow = {
    repo: undefined,
    version: undefined,
    started_at: undefined,
    tickets: undefined,
    origin,
  };
  for (const [name, spellings] of Object.entries(FIELDS)) {
    const spelling = spellings.find((candidate) => Object.hasOwn(fields, candidate));
    if (spelling !== undefined) (row as unknown as Record<string, unknown>)[name] = fields[spelling];
  }
  return { row };
}
