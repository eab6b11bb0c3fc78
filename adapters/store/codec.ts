// A record on a row: its JSON split across data0..dataN (string properties are limited), plus the ids
// of the last few logical changes written to the row, so a writer can recognise its own earlier success.
//
// Everything written is ASCII. Azurite decodes each ~64 KiB piece of a request body on its own
// (`segments.join('')` over Buffers), so a multi-byte UTF-8 character cut by a piece boundary is stored
// corrupted; Azure does not do this, but dev, tests and the sandbox run on Azurite. With ASCII only,
// nothing can be cut, and chunk boundaries never split a character either.
import { gunzipSync, gzipSync } from 'node:zlib';
import { ReleaseAgentError } from '../../core/errors.ts';
import type { EntityProps } from './entity-table.ts';

/** Characters per data property: Azure allows 32,768 UTF-16 units (64 KiB); a little margin. */
export const CHUNK_CHARS = 32_000;

/** ~900 KiB as UTF-16: the 1 MiB entity limit minus room for keys, index properties and change ids. */
export const MAX_VALUE_CHARS = 460_800;

/** How many change ids a row remembers: more than the writers that can overtake one uncertain write. */
export const CHANGE_HISTORY = 16;

const DATA = 'data';
const CHANGES = 'changes';
/** Absent: the data is JSON. 'gzip': base64 of gzipped JSON, for records too large as plain JSON. */
const FORMAT = 'format';

export interface ValueLocation {
  table: string;
  key: string;
}

export function encodeValue(value: unknown, at: ValueLocation): EntityProps {
  const json = asciiJson(value);
  let data = json;
  const props: EntityProps = {};
  if (json.length > MAX_VALUE_CHARS) {
    // Mostly non-Latin text grows up to 6× when escaped; compressed it usually fits again.
    data = gzipSync(JSON.stringify(value)).toString('base64');
    props[FORMAT] = 'gzip';
  }
  if (data.length > MAX_VALUE_CHARS) {
    throw new ReleaseAgentError(
      'STORE_VALUE_TOO_LARGE',
      `${at.table} ${at.key}: the record is ${json.length} characters of JSON (${data.length} compressed), ` +
        `the limit is ${MAX_VALUE_CHARS}`,
      { table: at.table, key: at.key, chars: data.length, limit: MAX_VALUE_CHARS },
    );
  }
  splitChunks(data, CHUNK_CHARS).forEach((chunk, index) => {
    props[`${DATA}${index}`] = chunk;
  });
  return props;
}

/** The record on a row, or undefined for a row without one (a tombstone, a claim). */
export function decodeValue<T>(props: EntityProps): T | undefined {
  if (props[`${DATA}0`] === undefined) return undefined;
  let data = '';
  for (let index = 0; props[`${DATA}${index}`] !== undefined; index++) data += props[`${DATA}${index}`];
  const json = props[FORMAT] === 'gzip' ? gunzipSync(Buffer.from(data, 'base64')).toString('utf8') : data;
  return JSON.parse(json) as T;
}

/** JSON with every non-ASCII UTF-16 unit written as \uXXXX (still JSON, parses back identical). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, hexEscape);
}

/** An injective ASCII form of a string property used for equality filters (`\` is escaped too). */
export function asciiIndexValue(value: string): string {
  return value.replace(/[\\\u0080-\uffff]/g, hexEscape);
}

function hexEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function splitChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size) chunks.push(text.slice(start, start + size));
  return chunks.length > 0 ? chunks : [''];
}

export function changesOf(props: EntityProps): string[] {
  const raw = props[CHANGES];
  if (raw === undefined) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
}

/** The `changes` property after a write with `changeId`, newest first. */
export function changesProps(changeId: string, previous: readonly string[]): EntityProps {
  return { [CHANGES]: JSON.stringify([changeId, ...previous].slice(0, CHANGE_HISTORY)) };
}
