// The Jira port: the few things the agent does with tickets and versions. Rich text goes in as plain
// text / simple Markdown (converted to ADF) or as a ready ADF document.
import type { AdfDocument } from '../../core/adf.ts';

export interface JiraIssue {
  key: string;
  summary: string;
  /** The status name, e.g. "Code Review". */
  status: string;
  /** The issue type name, e.g. "Story". */
  issueType: string;
  /** Names of the fix versions. */
  fixVersions: string[];
  /** The issue's page for people: `{site}/browse/{key}`. */
  url: string;
}

export interface JiraIssueRef {
  key: string;
  url: string;
}

export interface JiraVersion {
  id: string;
  name: string;
  projectId: number;
  released: boolean;
  /** yyyy-mm-dd */
  releaseDate?: string;
}

export interface TransitionResult {
  key: string;
  from: string;
  to: string;
  /** False when the issue already was in the target status (nothing was sent). */
  changed: boolean;
  /** The transition taken, when one was. */
  transition?: string;
}

export type RichText = string | AdfDocument;

export interface NewStory {
  /** Project key, e.g. ALLPOST. */
  project: string;
  summary: string;
  description: RichText;
}

export interface SearchOptions {
  /** Issues per request (Jira's maxResults). */
  pageSize?: number;
  /** Stop after this many issues (pages are followed until then). */
  maxIssues?: number;
}

export interface Jira {
  getIssue(key: string): Promise<JiraIssue>;
  createStory(story: NewStory): Promise<JiraIssueRef>;
  /**
   * Moves the issue by a transition name or a target status name (case-insensitive). A no-op when it is
   * already in that status; JIRA_TRANSITION_UNAVAILABLE (listing the available transitions) otherwise.
   */
  transition(key: string, transitionOrStatus: string): Promise<TransitionResult>;
  comment(key: string, body: RichText): Promise<{ id: string }>;
  /** Finds the project's version by name (case-insensitive) or creates it. */
  ensureVersion(project: string, name: string): Promise<JiraVersion>;
  /** Adds a fix version (by name, of the issue's project); `changed` is false when it was there already. */
  addFixVersion(key: string, versionName: string): Promise<{ changed: boolean }>;
  /** Marks a version released on `releaseDate` (yyyy-mm-dd, default today in UTC). */
  releaseVersion(versionId: string, releaseDate?: string): Promise<JiraVersion>;
  /** Runs a JQL query through `POST /rest/api/3/search/jql`, following `nextPageToken`. */
  search(jql: string, options?: SearchOptions): Promise<JiraIssue[]>;
}
