// How values read on the page: one place for dates, money, links and the "—" of a missing field.

export const MISSING = '—';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp in the reader's locale and time zone, or "—". */
export function formatTime(iso: string | undefined): string {
  if (!iso) return MISSING;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? MISSING : dateTime.format(new Date(time));
}

export function formatUsd(value: number | undefined): string {
  return value === undefined ? MISSING : `$${value.toFixed(value < 1 ? 3 : 2)}`;
}

export function formatCount(value: number | undefined): string {
  return value === undefined ? MISSING : String(value);
}

export function orMissing(value: string | number | undefined): string {
  return value === undefined || value === '' ? MISSING : String(value);
}

export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : MISSING;
}

/** Only http(s) links are rendered as links; anything else stays text. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function jiraUrl(jiraBaseUrl: string | undefined, key: string): string | undefined {
  return jiraBaseUrl
    ? safeUrl(`${jiraBaseUrl.replace(/\/+$/, '')}/browse/${encodeURIComponent(key)}`)
    : undefined;
}

export function pullRequestUrl(
  projectUrl: string | undefined,
  repo: string,
  prId: number,
): string | undefined {
  return projectUrl
    ? safeUrl(`${projectUrl}/_git/${encodeURIComponent(repo)}/pullrequest/${prId}`)
    : undefined;
}

/** `refs/heads/feature/x` → `feature/x`. */
export function branchName(ref: string | undefined): string | undefined {
  return ref?.replace(/^refs\/heads\//, '');
}
