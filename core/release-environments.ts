// The Azure DevOps environments gates 2–5 wait on (RELEASE_ENVIRONMENTS). Environment names are shared
// by every pipeline of a project: a plain `sandbox` or `production` would put our Approval check (and
// our "unknown release" cards) on other teams' deployments, so the defaults carry our prefix.
import * as z from 'zod/mini';
import { parseOrFail } from './input.ts';

/** The release template's stages, by the role their environment plays. */
export interface ReleaseEnvironments {
  /** Gate 2: open the release PR. */
  create: string;
  /** Gate 3: merge it and tag. */
  merge: string;
  /** Gate 4: run the pipelines. */
  run: string;
  /** Gate 5, first deploy. */
  sandbox: string;
  /** Gate 5, the production deploy (its approver may not be the release's creator). */
  production: string;
}

export const RELEASE_ENVIRONMENT_ROLES = ['create', 'merge', 'run', 'sandbox', 'production'] as const;

export const DEFAULT_RELEASE_ENVIRONMENTS: Readonly<ReleaseEnvironments> = {
  create: 'release-create-pr',
  merge: 'release-merge-pr',
  run: 'release-run-pipelines',
  sandbox: 'release-agent-sandbox',
  production: 'release-agent-production',
};

// No dot (`env.resource` names a resource of an environment in YAML), no blanks or parentheses (the
// Approval check's marker `(release-agent environment: name)` must read back as the name).
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** One `role=name` entry, split at its first `=`: a known role (any case) and an environment name. */
const entrySchema = z.object({
  role: z.pipe(
    z.pipe(
      z.string(),
      z.transform((role: string) => role.toLowerCase()),
    ),
    z.enum(RELEASE_ENVIRONMENT_ROLES),
  ),
  name: z.string().check(z.regex(NAME)),
});

/**
 * `create=…;merge=…;run=…;sandbox=…;production=…`; roles left out keep their default. Throws a message
 * naming the bad entry; names must be distinct, so an approval's environment names one gate.
 */
export function parseReleaseEnvironments(value: string): ReleaseEnvironments {
  const environments: ReleaseEnvironments = { ...DEFAULT_RELEASE_ENVIRONMENTS };
  for (const entry of value
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const equals = entry.indexOf('=');
    const { role, name } = parseOrFail(
      entrySchema,
      equals < 0
        ? { role: '' }
        : { role: entry.slice(0, equals).trim(), name: entry.slice(equals + 1).trim() },
      (field) => {
        if (field !== 'name')
          throw new Error(`expected ${RELEASE_ENVIRONMENT_ROLES.join('|')}=<environment>;…, got "${entry}"`);
        const given = entry.slice(equals + 1).trim();
        throw new Error(
          `${entry.slice(0, equals).trim().toLowerCase()}: "${given}" is not an environment name (letters, digits, - and _, at most 100, no dots)`,
        );
      },
    );
    environments[role] = name;
  }
  const names = RELEASE_ENVIRONMENT_ROLES.map((role) => environments[role].toLowerCase());
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new Error(`environment "${repeated}" is named for two gates: each needs its own`);
  return environments;
}

/** The release template's parameters that name these environments (pipelines/release.yml). */
export function releaseTemplateParameters(
  environments: Readonly<ReleaseEnvironments>,
): Record<string, string> {
  return {
    createEnvironment: environments.create,
    mergeEnvironment: environments.merge,
    runEnvironment: environments.run,
    sandboxEnvironment: environments.sandbox,
    productionEnvironment: environments.production,
  };
}
