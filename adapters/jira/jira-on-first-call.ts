// The Jira port with its client loaded on the first call. jira.js and its response schemas are the
// largest part of a task bundle; the tasks' bundles are split (scripts/build.ts), so this import() is
// a file of its own that a task compiles only once it talks to Jira. The settings are checked at once,
// so a bad connection still fails before any work starts.
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Jira } from './jira.ts';
import type { JiraClientOptions } from './jira-client.ts';

export function createJiraClientOnFirstCall(options: JiraClientOptions): Jira {
  if (!isHttpUrl(options.baseUrl) || !options.email.includes('@') || options.apiToken.isEmpty) {
    throw new ReleaseAgentError(
      'CONFIG_INVALID',
      'invalid Jira settings: JIRA_BASE_URL must be an http(s) URL, JIRA_EMAIL an email address, JIRA_API_TOKEN set',
      { variables: ['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN'] },
    );
  }
  let loaded: Promise<Jira> | undefined;
  const jira = () =>
    (loaded ??= import('./jira-client.ts').then((module) => module.createJiraClient(options)));
  return {
    getIssue: async (key) => (await jira()).getIssue(key),
    createStory: async (story) => (await jira()).createStory(story),
    transition: async (key, transitionOrStatus) => (await jira()).transition(key, transitionOrStatus),
    comment: async (key, body) => (await jira()).comment(key, body),
    ensureVersion: async (project, name) => (await jira()).ensureVersion(project, name),
    addFixVersion: async (key, versionName) => (await jira()).addFixVersion(key, versionName),
    releaseVersion: async (versionId, releaseDate) => (await jira()).releaseVersion(versionId, releaseDate),
    search: async (jql, options) => (await jira()).search(jql, options),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
