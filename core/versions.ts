// Per-repo semantic versions: plain `x.y.z`, a leading `v` accepted on input and never written.
// Pre-release and build suffixes are refused: a release is either out or not.
import { ReleaseAgentError } from './errors.ts';
import type { Bump } from './model.ts';

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

const VERSION_TEXT = /^[vV]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** Bumps from least to most significant; the index is the rank. */
export const BUMPS: readonly Bump[] = ['patch', 'minor', 'major'];

function shown(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}

export function parseVersion(text: string): Version {
  const match = VERSION_TEXT.exec(text);
  const parts = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
  if (!match || !parts.every(Number.isSafeInteger)) {
    throw new ReleaseAgentError('VERSION_INVALID', `not a version x.y.z: "${shown(text)}"`, {
      value: shown(text),
    });
  }
  const [major = 0, minor = 0, patch = 0] = parts;
  return { major, minor, patch };
}

export function formatVersion(version: Version): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

/** `x.y.z` for any accepted spelling (`v1.2.3` → `1.2.3`); throws VERSION_INVALID. */
export function normalizeVersion(text: string): string {
  return formatVersion(parseVersion(text));
}

function asVersion(value: Version | string): Version {
  return typeof value === 'string' ? parseVersion(value) : value;
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: Version | string, b: Version | string): -1 | 0 | 1 {
  const left = asVersion(a);
  const right = asVersion(b);
  for (const part of ['major', 'minor', 'patch'] as const) {
    if (left[part] !== right[part]) return left[part] < right[part] ? -1 : 1;
  }
  return 0;
}

export function bumpVersion(version: Version | string, bump: Bump): string {
  const { major, minor, patch } = asVersion(version);
  const next =
    bump === 'major'
      ? { major: major + 1, minor: 0, patch: 0 }
      : bump === 'minor'
        ? { major, minor: minor + 1, patch: 0 }
        : { major, minor, patch: patch + 1 };
  const text = formatVersion(next);
  if (![next.major, next.minor, next.patch].every(Number.isSafeInteger)) {
    throw new ReleaseAgentError('VERSION_INVALID', `version overflows: ${text}`, { value: text });
  }
  return text;
}

/** The most significant of the bumps, or undefined for none. */
export function highestBump(bumps: readonly Bump[]): Bump | undefined {
  let highest: Bump | undefined;
  for (const bump of bumps) {
    if (highest === undefined || BUMPS.indexOf(bump) > BUMPS.indexOf(highest)) highest = bump;
  }
  return highest;
}

const AZURE_SQUASH_PREFIX = /^Merged PR \d+:\s*/;
// type, optional (scope), optional !, then ": " (Conventional Commits 1.0.0 header).
const CONVENTIONAL_HEADER = /^([A-Za-z]+)(?:\([^()\r\n]*\))?(!)?: \S/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE: /m;

/**
 * The bump a merged commit asks for. Azure Repos squash merges prefix `Merged PR 123: `.
 * With conventional bumps off (the Python agent's behaviour) every change is a patch.
 */
export function bumpFromCommitMessage(message: string, options: { conventional: boolean }): Bump {
  if (!options.conventional) return 'patch';
  const text = message.replace(/^\s+/, '').replace(AZURE_SQUASH_PREFIX, '');
  const header = CONVENTIONAL_HEADER.exec(text);
  // The footer token is case-sensitive in the spec; "breaking change:" in prose is not a footer.
  if (header?.[2] === '!' || BREAKING_FOOTER.test(text)) return 'major';
  if (header?.[1]?.toLowerCase() === 'feat') return 'minor';
  return 'patch';
}

const RELEASE_AS_LINE = /^[ \t]*release-as[ \t]*:[ \t]*(.*?)[ \t]*$/gim;

/**
 * An explicit `Release-As: x.y.z` line anywhere in a PR description (key case-insensitive).
 * Several lines must agree. Throws VERSION_INVALID naming a bad or conflicting value.
 */
export function releaseAsFromDescription(text: string): string | undefined {
  const values = [...text.matchAll(RELEASE_AS_LINE)].map((match) => match[1] ?? '');
  if (values.length === 0) return undefined;
  const versions = [...new Set(values.map((value) => normalizeVersion(value)))];
  if (versions.length > 1) {
    throw new ReleaseAgentError('VERSION_INVALID', `conflicting Release-As lines: ${versions.join(', ')}`, {
      value: versions.join(', '),
      values: versions,
    });
  }
  return versions[0];
}

export interface NextVersionInput {
  /** The repo's last archived release, if any. */
  lastReleased?: string;
  /** Config FIRST_RELEASE_VERSION: the version of a repo's first release. */
  firstRelease: string;
  /** The bumps of every change in the release; patch when empty. */
  bumps: readonly Bump[];
  /** An explicit `Release-As` that wins over the bumps. */
  releaseAs?: string;
}

/**
 * The version the next release gets. Never repeats or goes backwards: an explicit version must be
 * strictly greater than the last release (VERSION_NOT_INCREASING otherwise).
 */
export function nextVersion(input: NextVersionInput): string {
  const last = input.lastReleased === undefined ? undefined : normalizeVersion(input.lastReleased);
  if (input.releaseAs !== undefined) {
    const requested = normalizeVersion(input.releaseAs);
    if (last !== undefined && compareVersions(requested, last) <= 0) {
      throw new ReleaseAgentError(
        'VERSION_NOT_INCREASING',
        `Release-As ${requested} is not greater than the last release ${last}`,
        { lastReleased: last, requested },
      );
    }
    return requested;
  }
  if (last === undefined) return normalizeVersion(input.firstRelease);
  return bumpVersion(last, highestBump(input.bumps) ?? 'patch');
}
