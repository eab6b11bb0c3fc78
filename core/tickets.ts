// Jira ticket keys in branch names, PR titles and free text.
// A key counts only as a whole token: the characters around it must not be ASCII letters or digits
// (`_`, `-`, `/`, `.`, spaces and the string ends are boundaries), and it must not be followed by
// `-<digit>` or `.<digit>`, which is how dates, CVE ids and version numbers continue.
import { ReleaseAgentError } from './errors.ts';

export const DEFAULT_TICKET_KEY_PATTERN = '[A-Z][A-Z0-9]+-\\d+';

/**
 * Prefixes of well-known technical tokens that the default pattern would take for ticket keys
 * (`UTF-8`, `SHA-256`, `ISO-8601`, `RFC-7231`, `CVE-2024`…). Applied only when no `projects`
 * allow-list is given: an allow-list is the precise tool and overrides this guess.
 */
export const LOOKALIKE_PROJECTS: readonly string[] = [
  'AES',
  'CVE',
  'CWE',
  'HTTP',
  'IEC',
  'ISO',
  'MD',
  'RFC',
  'RSA',
  'SHA',
  'SSL',
  'TLS',
  'UCS',
  'UTF',
];

export interface TicketKeyOptions {
  /** A regular expression source (config TICKET_KEY_PATTERN); the default when absent or blank. */
  pattern?: string;
  /** Jira project keys; when given, only keys of these projects count. */
  projects?: readonly string[];
}

export type TicketKeySource = 'branch' | 'title';

export interface FoundTicketKey {
  key: string;
  source: TicketKeySource;
}

const PROJECT_KEY = /^[A-Z][A-Z0-9]+$/;
const BOUNDARY_BEFORE = '(?<![A-Za-z0-9])';
const BOUNDARY_AFTER = '(?![A-Za-z0-9]|[-.][0-9])';

/** Checks a pattern and project list once; throws TICKET_KEY_INVALID naming the bad part. */
export function compileTicketKeyMatcher(options: TicketKeyOptions = {}): (text: string) => string[] {
  const pattern = options.pattern?.trim() ? options.pattern.trim() : DEFAULT_TICKET_KEY_PATTERN;
  let alone: RegExp;
  try {
    // Compiled alone first: only a well-formed pattern can be wrapped without changing its meaning
    // (`[A-Z` or `a)|(b` would otherwise merge with the boundary groups around it).
    new RegExp(pattern);
    alone = new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new ReleaseAgentError(
      'TICKET_KEY_INVALID',
      `ticket key pattern is not a regular expression: ${pattern}`,
      { pattern },
      { cause: error },
    );
  }
  // A pattern that matches the empty string would find a "key" everywhere.
  if (alone.test('')) {
    throw new ReleaseAgentError(
      'TICKET_KEY_INVALID',
      `ticket key pattern matches the empty string: ${pattern}`,
      {
        pattern,
      },
    );
  }
  const expression = new RegExp(`${BOUNDARY_BEFORE}(?:${pattern})${BOUNDARY_AFTER}`, 'g');
  const projects = options.projects;
  if (projects) {
    const bad = projects.filter((project) => !PROJECT_KEY.test(project));
    if (bad.length > 0) {
      throw new ReleaseAgentError('TICKET_KEY_INVALID', `not Jira project keys: ${bad.join(', ')}`, {
        projects: bad,
      });
    }
  }
  const counts = projects
    ? (key: string) => projects.some((project) => key.startsWith(`${project}-`))
    : (key: string) => !LOOKALIKE_PROJECTS.some((project) => key.startsWith(`${project}-`));

  return (text: string) => {
    const keys: string[] = [];
    for (const match of text.matchAll(expression)) {
      const key = match[0];
      if (key.length > 0 && counts(key) && !keys.includes(key)) keys.push(key);
    }
    return keys;
  };
}

/** Every distinct key in `text`, in order of first appearance. */
export function allTicketKeys(text: string, options: TicketKeyOptions = {}): string[] {
  return compileTicketKeyMatcher(options)(text);
}

/** The first key in a branch name (`refs/heads/` is allowed), or undefined. */
export function ticketKeyFromBranch(branch: string, options: TicketKeyOptions = {}): string | undefined {
  return allTicketKeys(branch.replace(/^refs\/heads\//, ''), options)[0];
}

/** The first key in a PR title, or undefined. */
export function ticketKeyFromTitle(title: string, options: TicketKeyOptions = {}): string | undefined {
  return allTicketKeys(title, options)[0];
}

/** The PR's ticket: the branch wins over the title (the team's naming convention is the branch). */
export function findTicketKey(
  pr: { branch?: string; title?: string },
  options: TicketKeyOptions = {},
): FoundTicketKey | undefined {
  const keysIn = compileTicketKeyMatcher(options);
  const fromBranch = keysIn((pr.branch ?? '').replace(/^refs\/heads\//, ''))[0];
  if (fromBranch) return { key: fromBranch, source: 'branch' };
  const fromTitle = keysIn(pr.title ?? '')[0];
  if (fromTitle) return { key: fromTitle, source: 'title' };
  return undefined;
}
