// A protocol-faithful Jira Cloud simulator (REST v3, the endpoints the agent uses), in memory, on the
// shared SimServer (request log, faults at /_sim/faults). Basic auth (email + API token) on every route.
//
// Default workflow (configurable), statuses in order with the transitions out of each:
//   To Do        → "Start Progress" (11) → In Progress
//   In Progress  → "Request Review" (21) → Code Review;   "Stop Progress" (51) → To Do
//   Code Review  → "Move to Staging" (31) → Staging;     "Request Changes" (61) → In Progress
//   Staging      → "Release" (41) → Done;                "Back to Development" (71) → In Progress
//   Done         → "Reopen" (81) → To Do
// Transition names differ from status names on purpose, so "by name" and "by target status" are distinct.
import { createHash } from 'node:crypto';
import { adfProblem } from './adf-check.ts';
import { JqlError, type JqlQuery, parseJql } from './jql.ts';
import {
  basicCredentials,
  type Fault,
  type RequestLogEntry,
  type SimHandler,
  type SimRequest,
  SimHttpError,
  SimServer,
} from '../server.ts';
import { registerJiraPages } from './pages.ts';

export type StatusCategory = 'new' | 'indeterminate' | 'done';

export interface WorkflowDefinition {
  /** In order; new issues start in the first. */
  statuses: { name: string; category: StatusCategory }[];
  transitions: { id: string; name: string; from: string[]; to: string }[];
}

export const DEFAULT_WORKFLOW: WorkflowDefinition = {
  statuses: [
    { name: 'To Do', category: 'new' },
    { name: 'In Progress', category: 'indeterminate' },
    { name: 'Code Review', category: 'indeterminate' },
    { name: 'Staging', category: 'indeterminate' },
    { name: 'Done', category: 'done' },
  ],
  transitions: [
    { id: '11', name: 'Start Progress', from: ['To Do'], to: 'In Progress' },
    { id: '21', name: 'Request Review', from: ['In Progress'], to: 'Code Review' },
    { id: '31', name: 'Move to Staging', from: ['Code Review'], to: 'Staging' },
    { id: '41', name: 'Release', from: ['Staging'], to: 'Done' },
    { id: '51', name: 'Stop Progress', from: ['In Progress'], to: 'To Do' },
    { id: '61', name: 'Request Changes', from: ['Code Review'], to: 'In Progress' },
    { id: '71', name: 'Back to Development', from: ['Staging'], to: 'In Progress' },
    { id: '81', name: 'Reopen', from: ['Done'], to: 'To Do' },
  ],
};

export const ISSUE_TYPES = ['Story', 'Task', 'Bug', 'Epic'] as const;

export interface SimProject {
  id: string;
  key: string;
  name: string;
}

export interface SimVersion {
  id: string;
  projectId: number;
  name: string;
  description?: string;
  released: boolean;
  archived: boolean;
  releaseDate?: string;
}

export interface SimComment {
  id: string;
  body: unknown;
  created: string;
}

export interface SimIssue {
  id: string;
  key: string;
  projectKey: string;
  summary: string;
  /** ADF, or null. */
  description: unknown;
  status: string;
  issueType: string;
  fixVersionIds: string[];
  comments: SimComment[];
  created: string;
  updated: string;
}

export interface JiraSimulatorOptions {
  port?: number;
  host?: string;
  /** The one account that may call: Basic auth with this email and API token. */
  email?: string;
  apiToken?: string;
  /** Project keys to create (default ALLPOST). */
  projects?: string[];
  workflow?: WorkflowDefinition;
  /** Most issues one search page returns, whatever maxResults asks (Jira: 100 when fields are asked for). */
  maxPageSize?: number;
}

export const SIM_EMAIL = 'release-agent@example.com';
export const SIM_API_TOKEN = 'sim-jira-api-token';

const NOT_FOUND_ISSUE = 'Issue does not exist or you do not have permission to see it.';
const SEARCH_GONE =
  'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046';
const CATEGORIES: Record<StatusCategory, { id: number; key: string; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

/** The simulator's data, with the controls tests and scenarios use to arrange and inspect it. */
export class JiraSimState {
  readonly workflow: WorkflowDefinition;
  readonly #projects: SimProject[] = [];
  readonly #issues: SimIssue[] = [];
  readonly #versions: SimVersion[] = [];
  readonly #counters = new Map<string, number>();
  #nextId = 10_000;

  constructor(workflow: WorkflowDefinition = DEFAULT_WORKFLOW) {
    if (workflow.statuses.length === 0) throw new Error('a workflow needs at least one status');
    this.workflow = workflow;
  }

  addProject(key: string, name = key): SimProject {
    const existing = this.project(key);
    if (existing) return existing;
    const project = { id: String(this.#nextId++), key: key.toUpperCase(), name };
    this.#projects.push(project);
    return project;
  }

  project(keyOrId: string): SimProject | undefined {
    const wanted = keyOrId.toUpperCase();
    return this.#projects.find((project) => project.key === wanted || project.id === keyOrId);
  }

  get projects(): readonly SimProject[] {
    return this.#projects;
  }

  /** Creates an issue directly (arranging a test); the HTTP route validates first, then calls this. */
  createIssue(input: {
    project: string;
    summary: string;
    issueType?: string;
    status?: string;
    description?: unknown;
    fixVersions?: string[];
    /** Seeds a given key number (e.g. 4028 for ALLPOST-4028); later issues are numbered after the highest. */
    number?: number;
  }): SimIssue {
    const project = this.project(input.project);
    if (!project) throw new Error(`no project ${input.project}`);
    const next = (this.#counters.get(project.key) ?? 0) + 1;
    if (input.number !== undefined && (!Number.isSafeInteger(input.number) || input.number < 1))
      throw new Error(`issue number ${input.number} is not a positive integer`);
    if (input.number !== undefined && this.issue(`${project.key}-${input.number}`))
      throw new Error(`${project.key}-${input.number} exists`);
    const number = input.number ?? next;
    this.#counters.set(project.key, Math.max(number, next - 1));
    const now = new Date().toISOString();
    const issue: SimIssue = {
      id: String(this.#nextId++),
      key: `${project.key}-${number}`,
      projectKey: project.key,
      summary: input.summary,
      description: input.description ?? null,
      status: this.#statusName(input.status ?? this.workflow.statuses[0]!.name),
      issueType: input.issueType ?? 'Story',
      fixVersionIds: (input.fixVersions ?? []).map((name) => this.ensureVersion(project.key, name).id),
      comments: [],
      created: now,
      updated: now,
    };
    this.#issues.push(issue);
    return issue;
  }

  /** The live issue by key (any case) or id. */
  issue(keyOrId: string): SimIssue | undefined {
    const wanted = keyOrId.toUpperCase();
    return this.#issues.find((issue) => issue.key === wanted || issue.id === keyOrId);
  }

  get issues(): readonly SimIssue[] {
    return this.#issues;
  }

  /** Puts an issue in a status directly, bypassing the workflow. */
  setStatus(key: string, status: string): void {
    const issue = this.issue(key);
    if (!issue) throw new Error(`no issue ${key}`);
    issue.status = this.#statusName(status);
  }

  transitionsFrom(status: string): WorkflowDefinition['transitions'] {
    return this.workflow.transitions.filter((transition) =>
      transition.from.some((from) => sameName(from, status)),
    );
  }

  statusCategory(status: string): StatusCategory {
    return (
      this.workflow.statuses.find((candidate) => sameName(candidate.name, status))?.category ??
      'indeterminate'
    );
  }

  statusId(status: string): string {
    const index = this.workflow.statuses.findIndex((candidate) => sameName(candidate.name, status));
    return String(10_000 + Math.max(0, index));
  }

  hasStatus(status: string): boolean {
    return this.workflow.statuses.some((candidate) => sameName(candidate.name, status));
  }

  versions(projectKey: string): SimVersion[] {
    const project = this.project(projectKey);
    return project ? this.#versions.filter((version) => version.projectId === Number(project.id)) : [];
  }

  version(id: string): SimVersion | undefined {
    return this.#versions.find((version) => version.id === id);
  }

  get allVersions(): readonly SimVersion[] {
    return this.#versions;
  }

  /** Finds the project's version by name or creates it (arranging a test). */
  ensureVersion(
    projectKey: string,
    name: string,
    extras: Partial<Omit<SimVersion, 'id' | 'projectId' | 'name'>> = {},
  ): SimVersion {
    const project = this.project(projectKey);
    if (!project) throw new Error(`no project ${projectKey}`);
    const existing = this.versions(project.key).find((version) => sameName(version.name, name));
    if (existing) return existing;
    const version: SimVersion = {
      id: String(this.#nextId++),
      projectId: Number(project.id),
      name,
      released: false,
      archived: false,
      ...extras,
    };
    this.#versions.push(version);
    return version;
  }

  /** A fresh numeric id (issues, projects, versions and comments share one sequence). */
  newId(): string {
    return String(this.#nextId++);
  }

  #statusName(status: string): string {
    const found = this.workflow.statuses.find((candidate) => sameName(candidate.name, status));
    if (!found) throw new Error(`no status ${status} in the workflow`);
    return found.name;
  }
}

export interface JiraSimulator {
  url: string;
  email: string;
  apiToken: string;
  state: JiraSimState;
  server: SimServer;
  addFault(fault: Fault): void;
  clearFaults(): void;
  readonly requestLog: RequestLogEntry[];
  stop(): Promise<void>;
}

/** Starts the simulator on a free loopback port (or `options.port`). */
export async function startJiraSimulator(options: JiraSimulatorOptions = {}): Promise<JiraSimulator> {
  const email = options.email ?? SIM_EMAIL;
  const apiToken = options.apiToken ?? SIM_API_TOKEN;
  const state = new JiraSimState(options.workflow);
  for (const key of options.projects ?? ['ALLPOST']) state.addProject(key);
  const server = createJiraSimServer(state, { email, apiToken, maxPageSize: options.maxPageSize ?? 100 });
  const url = await server.start(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url,
    email,
    apiToken,
    state,
    server,
    addFault: (fault) => server.addFault(fault),
    clearFaults: () => server.clearFaults(),
    requestLog: server.requestLog,
    stop: () => server.stop(),
  };
}

export function createJiraSimServer(
  state: JiraSimState,
  settings: { email: string; apiToken: string; maxPageSize: number },
): SimServer {
  const server = new SimServer('jira');
  server.errorBody = (_status, message) => ({ errorMessages: [message], errors: {} });
  const self = (path: string) => `${server.url}${path}`;

  const guarded =
    (handler: SimHandler): SimHandler =>
    (request) => {
      const credentials = basicCredentials(request.headers);
      if (credentials?.user !== settings.email || credentials.password !== settings.apiToken) {
        throw new SimHttpError(401, 'Client must be authenticated to access this resource.');
      }
      return handler(request);
    };
  const route = (method: string, template: string, operation: string, handler: SimHandler) =>
    server.route(method, template, operation, guarded(handler));

  // Rendering, in Jira's shapes.
  const statusJson = (name: string) => {
    const category = CATEGORIES[state.statusCategory(name)];
    const id = state.statusId(name);
    return {
      self: self(`/rest/api/3/status/${id}`),
      description: '',
      iconUrl: self('/images/icons/statuses/generic.png'),
      name,
      untranslatedName: name,
      id,
      statusCategory: { self: self(`/rest/api/3/statuscategory/${category.id}`), ...category },
    };
  };
  const issueTypeJson = (name: string) => {
    const id = String(10_001 + Math.max(0, ISSUE_TYPES.indexOf(name as (typeof ISSUE_TYPES)[number])));
    return {
      self: self(`/rest/api/3/issuetype/${id}`),
      id,
      description: '',
      iconUrl: self('/images/icons/issuetypes/story.svg'),
      name,
      subtask: false,
      hierarchyLevel: name === 'Epic' ? 1 : 0,
    };
  };
  const versionJson = (version: SimVersion) => ({
    self: self(`/rest/api/3/version/${version.id}`),
    id: version.id,
    name: version.name,
    ...(version.description !== undefined ? { description: version.description } : {}),
    archived: version.archived,
    released: version.released,
    ...(version.releaseDate ? { releaseDate: version.releaseDate } : {}),
    projectId: version.projectId,
  });
  const projectJson = (project: SimProject) => ({
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    self: self(`/rest/api/3/project/${project.id}`),
    id: project.id,
    key: project.key,
    name: project.name,
    projectTypeKey: 'software',
    simplified: false,
    style: 'classic',
    isPrivate: false,
    issueTypes: ISSUE_TYPES.map(issueTypeJson),
    versions: state.versions(project.key).map(versionJson),
  });
  const commentJson = (issue: SimIssue, comment: SimComment) => {
    const author = {
      accountId: 'sim-account-1',
      displayName: 'Release Agent',
      emailAddress: settings.email,
      active: true,
      accountType: 'atlassian',
      timeZone: 'UTC',
    };
    return {
      self: self(`/rest/api/3/issue/${issue.id}/comment/${comment.id}`),
      id: comment.id,
      author,
      body: comment.body,
      updateAuthor: author,
      created: comment.created,
      updated: comment.created,
      jsdPublic: true,
    };
  };
  const allFields = (issue: SimIssue): Record<string, unknown> => {
    const project = state.project(issue.projectKey)!;
    return {
      summary: issue.summary,
      description: issue.description,
      status: statusJson(issue.status),
      issuetype: issueTypeJson(issue.issueType),
      project: {
        self: self(`/rest/api/3/project/${project.id}`),
        id: project.id,
        key: project.key,
        name: project.name,
        projectTypeKey: 'software',
        simplified: false,
      },
      fixVersions: issue.fixVersionIds
        .map((id) => state.version(id))
        .filter((v): v is SimVersion => v !== undefined)
        .map(versionJson),
      comment: {
        comments: issue.comments.map((comment) => commentJson(issue, comment)),
        self: self(`/rest/api/3/issue/${issue.id}/comment`),
        maxResults: issue.comments.length,
        total: issue.comments.length,
        startAt: 0,
      },
      labels: [],
      created: issue.created,
      updated: issue.updated,
    };
  };
  /** `fields` as Jira reads it: names (comma-separated or repeated), `*all`/`*navigable`, or the default. */
  const issueJson = (issue: SimIssue, wanted: string[] | undefined) => {
    const fields = allFields(issue);
    const all = wanted === undefined || wanted.some((name) => name === '*all' || name === '*navigable');
    const picked = all
      ? fields
      : Object.fromEntries(Object.entries(fields).filter(([name]) => wanted.some((w) => sameName(w, name))));
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: self(`/rest/api/3/issue/${issue.id}`),
      key: issue.key,
      fields: picked,
    };
  };
  const fieldList = (values: string[]): string[] | undefined => {
    const names = values
      .flatMap((value) => value.split(','))
      .map((name) => name.trim())
      .filter(Boolean);
    return names.length > 0 ? names : undefined;
  };

  const findIssue = (keyOrId: string | undefined): SimIssue => {
    const issue = keyOrId ? state.issue(keyOrId) : undefined;
    if (!issue) throw new SimHttpError(404, NOT_FOUND_ISSUE);
    return issue;
  };
  const findProject = (keyOrId: string | undefined): SimProject => {
    const project = keyOrId ? state.project(keyOrId) : undefined;
    if (!project) throw new SimHttpError(404, `No project could be found with key '${keyOrId}'.`);
    return project;
  };
  const invalid = (errors: Record<string, string>, errorMessages: string[] = []): never => {
    throw new SimHttpError(400, Object.values(errors)[0] ?? errorMessages[0] ?? 'invalid', {
      errorMessages,
      errors,
    });
  };
  const body = (request: SimRequest): Record<string, unknown> => {
    const parsed = request.json();
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SimHttpError(400, 'Unexpected request body: expected a JSON object.');
    }
    return parsed as Record<string, unknown>;
  };
  const checkSummary = (summary: unknown): string => {
    if (typeof summary !== 'string' || summary.trim() === '')
      return invalid({ summary: 'You must specify a summary of the issue.' });
    if (summary.length > 255) invalid({ summary: 'Summary must be less than 255 characters.' });
    if (/[\r\n]/.test(summary))
      invalid({ summary: 'The summary is invalid because it contains newline characters.' });
    return summary;
  };
  const checkDescription = (description: unknown): unknown => {
    if (description === undefined || description === null) return null;
    const problem = adfProblem(description);
    if (problem)
      invalid({
        description: `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${problem}`,
      });
    return description;
  };
  /** A version reference ({id} or {name}) resolved in the issue's project. */
  const resolveVersion = (projectKey: string, reference: unknown): SimVersion => {
    const { id, name } = (reference ?? {}) as { id?: unknown; name?: unknown };
    const versions = state.versions(projectKey);
    const version =
      typeof id === 'string' || typeof id === 'number'
        ? versions.find((candidate) => candidate.id === String(id))
        : typeof name === 'string'
          ? versions.find((candidate) => sameName(candidate.name, name))
          : undefined;
    if (!version) {
      return invalid({
        fixVersions:
          id !== undefined
            ? `Version id '${String(id)}' is not valid`
            : `Version name '${String(name)}' is not valid`,
      });
    }
    return version;
  };

  // Issues.
  route('GET', '/rest/api/3/issue/{issueIdOrKey}', 'getIssue', (request) => {
    const issue = findIssue(request.params.issueIdOrKey);
    return { status: 200, body: issueJson(issue, fieldList(request.query.getAll('fields'))) };
  });

  route('POST', '/rest/api/3/issue', 'createIssue', (request) => {
    const fields = (body(request).fields ?? {}) as Record<string, unknown>;
    const errors: Record<string, string> = {};
    const projectRef = (fields.project ?? {}) as { key?: unknown; id?: unknown };
    const project =
      typeof projectRef.key === 'string'
        ? state.project(projectRef.key)
        : typeof projectRef.id === 'string'
          ? state.project(projectRef.id)
          : undefined;
    if (!project) errors.project = 'valid project is required';
    const typeRef = (fields.issuetype ?? {}) as { name?: unknown; id?: unknown };
    const issueType = ISSUE_TYPES.find(
      (name) =>
        (typeof typeRef.name === 'string' && sameName(name, typeRef.name)) ||
        issueTypeJson(name).id === typeRef.id,
    );
    if (!issueType)
      errors.issuetype =
        typeRef.name || typeRef.id ? 'The issue type selected is invalid.' : 'Specify an issue type';
    if (Object.keys(errors).length > 0) invalid(errors);
    const summary = checkSummary(fields.summary);
    const description = checkDescription(fields.description);
    const fixVersions = Array.isArray(fields.fixVersions)
      ? fields.fixVersions.map((ref) => resolveVersion(project!.key, ref).name)
      : [];
    const issue = state.createIssue({
      project: project!.key,
      summary,
      issueType: issueType!,
      description,
      fixVersions,
    });
    return {
      status: 201,
      body: { id: issue.id, key: issue.key, self: self(`/rest/api/3/issue/${issue.id}`) },
    };
  });

  route('PUT', '/rest/api/3/issue/{issueIdOrKey}', 'editIssue', (request) => {
    const issue = findIssue(request.params.issueIdOrKey);
    const { fields = {}, update = {} } = body(request) as {
      fields?: Record<string, unknown>;
      update?: Record<string, unknown>;
    };
    // Validate everything before changing anything, like Jira.
    const summary = fields.summary !== undefined ? checkSummary(fields.summary) : undefined;
    const description = 'description' in fields ? checkDescription(fields.description) : undefined;
    let fixVersionIds = [...issue.fixVersionIds];
    if (fields.fixVersions !== undefined) {
      if (!Array.isArray(fields.fixVersions)) invalid({ fixVersions: 'data was not an array' });
      fixVersionIds = (fields.fixVersions as unknown[]).map(
        (ref) => resolveVersion(issue.projectKey, ref).id,
      );
    }
    const operations = update.fixVersions;
    if (operations !== undefined) {
      if (!Array.isArray(operations)) invalid({ fixVersions: 'data was not an array' });
      for (const operation of operations as Record<string, unknown>[]) {
        if ('add' in operation) {
          const id = resolveVersion(issue.projectKey, operation.add).id;
          if (!fixVersionIds.includes(id)) fixVersionIds.push(id);
        } else if ('remove' in operation) {
          const id = resolveVersion(issue.projectKey, operation.remove).id;
          fixVersionIds = fixVersionIds.filter((existing) => existing !== id);
        } else if ('set' in operation && Array.isArray(operation.set)) {
          fixVersionIds = operation.set.map((ref) => resolveVersion(issue.projectKey, ref).id);
        } else {
          invalid({ fixVersions: 'Unsupported operation: use add, remove or set' });
        }
      }
    }
    const unknown = Object.keys(update).filter((name) => name !== 'fixVersions');
    const unknownFields = Object.keys(fields).filter(
      (name) => !['summary', 'description', 'fixVersions'].includes(name),
    );
    for (const name of [...unknown, ...unknownFields]) {
      invalid({ [name]: `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.` });
    }
    if (summary !== undefined) issue.summary = summary;
    if (description !== undefined) issue.description = description;
    issue.fixVersionIds = fixVersionIds;
    issue.updated = new Date().toISOString();
    if (request.query.get('returnIssue') === 'true')
      return { status: 200, body: issueJson(issue, undefined) };
    return { status: 204 };
  });

  route('GET', '/rest/api/3/issue/{issueIdOrKey}/transitions', 'getTransitions', (request) => {
    const issue = findIssue(request.params.issueIdOrKey);
    const transitions = state.transitionsFrom(issue.status).map((transition) => ({
      id: transition.id,
      name: transition.name,
      to: statusJson(
        state.workflow.statuses.find((status) => sameName(status.name, transition.to))?.name ?? transition.to,
      ),
      hasScreen: false,
      isGlobal: false,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    }));
    return { status: 200, body: { expand: 'transitions', transitions } };
  });

  route('POST', '/rest/api/3/issue/{issueIdOrKey}/transitions', 'doTransition', (request) => {
    const issue = findIssue(request.params.issueIdOrKey);
    const id = (body(request).transition as { id?: unknown } | undefined)?.id;
    if (id === undefined) invalid({}, ["Missing 'transition' identifier"]);
    const transition = state.transitionsFrom(issue.status).find((candidate) => candidate.id === String(id));
    if (!transition) invalid({}, [`Transition id '${String(id)}' is not valid for this issue.`]);
    issue.status =
      state.workflow.statuses.find((status) => sameName(status.name, transition!.to))?.name ?? transition!.to;
    issue.updated = new Date().toISOString();
    return { status: 204 };
  });

  route('POST', '/rest/api/3/issue/{issueIdOrKey}/comment', 'addComment', (request) => {
    const issue = findIssue(request.params.issueIdOrKey);
    const commentBody = body(request).body;
    if (commentBody === undefined || commentBody === null)
      invalid({ comment: 'Comment body can not be empty!' });
    const problem = adfProblem(commentBody);
    if (problem) invalid({ comment: `Comment body is not a valid Atlassian Document: ${problem}` });
    const comment: SimComment = { id: state.newId(), body: commentBody, created: new Date().toISOString() };
    issue.comments.push(comment);
    return { status: 201, body: commentJson(issue, comment) };
  });

  // Projects and versions.
  route('GET', '/rest/api/3/project/{projectIdOrKey}', 'getProject', (request) => ({
    status: 200,
    body: projectJson(findProject(request.params.projectIdOrKey)),
  }));

  route('GET', '/rest/api/3/project/{projectIdOrKey}/versions', 'getProjectVersions', (request) => ({
    status: 200,
    body: state.versions(findProject(request.params.projectIdOrKey).key).map(versionJson),
  }));

  route('POST', '/rest/api/3/version', 'createVersion', (request) => {
    const input = body(request);
    const project =
      typeof input.projectId === 'number' || typeof input.projectId === 'string'
        ? state.project(String(input.projectId))
        : typeof input.project === 'string'
          ? state.project(input.project)
          : undefined;
    if (!project) invalid({ project: 'Project must be specified to create a version.' });
    if (typeof input.name !== 'string' || input.name.trim() === '')
      invalid({ name: 'You must specify a valid version name' });
    const name = (input.name as string).trim();
    if (state.versions(project!.key).some((version) => sameName(version.name, name))) {
      invalid({ name: 'A version with this name already exists in this project.' });
    }
    const releaseDate = checkDate(input.releaseDate);
    const version = state.ensureVersion(project!.key, name, {
      released: input.released === true,
      archived: input.archived === true,
      ...(typeof input.description === 'string' ? { description: input.description } : {}),
      ...(releaseDate ? { releaseDate } : {}),
    });
    return { status: 201, body: versionJson(version) };
  });

  const findVersion = (id: string | undefined): SimVersion => {
    const version = id ? state.version(id) : undefined;
    if (!version) throw new SimHttpError(404, `Could not find version for id '${id}'`);
    return version;
  };

  route('GET', '/rest/api/3/version/{id}', 'getVersion', (request) => ({
    status: 200,
    body: versionJson(findVersion(request.params.id)),
  }));

  route('PUT', '/rest/api/3/version/{id}', 'updateVersion', (request) => {
    const version = findVersion(request.params.id);
    const input = body(request);
    const releaseDate = checkDate(input.releaseDate);
    if (input.name !== undefined) {
      if (typeof input.name !== 'string' || input.name.trim() === '')
        invalid({ name: 'You must specify a valid version name' });
      const project = state.project(String(version.projectId))!;
      const clash = state
        .versions(project.key)
        .find((other) => other.id !== version.id && sameName(other.name, String(input.name)));
      if (clash) invalid({ name: 'A version with this name already exists in this project.' });
      version.name = String(input.name).trim();
    }
    if (typeof input.released === 'boolean') version.released = input.released;
    if (typeof input.archived === 'boolean') version.archived = input.archived;
    if (typeof input.description === 'string') version.description = input.description;
    if (releaseDate) version.releaseDate = releaseDate;
    return { status: 200, body: versionJson(version) };
  });

  // Search: the enhanced endpoint, and the old one that Atlassian removed.
  const search = (input: {
    jql: unknown;
    maxResults: unknown;
    nextPageToken: unknown;
    fields: string[] | undefined;
  }) => {
    const jql = typeof input.jql === 'string' ? input.jql : '';
    let query: JqlQuery;
    try {
      query = parseJql(jql);
    } catch (error) {
      if (error instanceof JqlError) invalid({}, [error.message]);
      throw error;
    }
    if (query!.clauses.length === 0) {
      invalid({}, [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ]);
    }
    const matches = runQuery(state, query!);
    const requested = Number(input.maxResults ?? 50);
    if (!Number.isInteger(requested) || requested < 0)
      invalid({}, ["The value of 'maxResults' is not valid."]);
    // Jira never pages by zero: it falls back to at least one issue per page.
    const pageSize = Math.max(1, Math.min(requested, settings.maxPageSize));
    const fingerprint = createHash('sha256').update(jql).digest('hex').slice(0, 12);
    let offset = 0;
    if (input.nextPageToken !== undefined && input.nextPageToken !== null) {
      const decoded = /^(\d+):([0-9a-f]{12})$/.exec(
        Buffer.from(String(input.nextPageToken), 'base64url').toString('utf8'),
      );
      if (!decoded || decoded[2] !== fingerprint)
        invalid({}, ['The provided next page token is invalid or was issued for another query.']);
      offset = Number(decoded![1]);
    }
    const page = matches.slice(offset, offset + pageSize);
    const end = offset + page.length;
    const isLast = end >= matches.length;
    const wanted = input.fields;
    const issues = page.map((issue) =>
      wanted === undefined || wanted.every((name) => name === 'id')
        ? { id: issue.id }
        : issueJson(issue, wanted),
    );
    return {
      status: 200,
      body: {
        issues,
        ...(isLast ? {} : { nextPageToken: Buffer.from(`${end}:${fingerprint}`).toString('base64url') }),
        isLast,
      },
    };
  };

  route('POST', '/rest/api/3/search/jql', 'searchAndReconsileIssuesUsingJqlPost', (request) => {
    const input = body(request);
    const fields = Array.isArray(input.fields) ? fieldList(input.fields.map(String)) : undefined;
    return search({
      jql: input.jql,
      maxResults: input.maxResults,
      nextPageToken: input.nextPageToken,
      fields,
    });
  });

  route('GET', '/rest/api/3/search/jql', 'searchAndReconsileIssuesUsingJql', (request) =>
    search({
      jql: request.query.get('jql'),
      maxResults: request.query.get('maxResults') ?? undefined,
      nextPageToken: request.query.get('nextPageToken') ?? undefined,
      fields: fieldList(request.query.getAll('fields')),
    }),
  );

  for (const version of ['2', '3']) {
    for (const method of ['GET', 'POST']) {
      route(
        method,
        `/rest/api/${version}/search`,
        `searchForIssuesUsingJql${method === 'POST' ? 'Post' : ''}`,
        () => {
          throw new SimHttpError(410, SEARCH_GONE);
        },
      );
    }
  }

  registerJiraPages(server, state);
  return server;
}

/** The issues a parsed query selects, in its order (default: oldest first). Unknown values are 400s, like Jira. */
function runQuery(state: JiraSimState, query: JqlQuery): SimIssue[] {
  const reject = (message: string): never => {
    throw new SimHttpError(400, message, { errorMessages: [message], errors: {} });
  };
  for (const clause of query.clauses) {
    for (const value of clause.values) {
      if (clause.field === 'project' && !state.project(value))
        reject(`The value '${value}' does not exist for the field 'project'.`);
      if (clause.field === 'status' && !state.hasStatus(value))
        reject(`The value '${value}' does not exist for the field 'status'.`);
      if (clause.field === 'issuetype' && !ISSUE_TYPES.some((type) => sameName(type, value))) {
        reject(`The value '${value}' does not exist for the field 'issuetype'.`);
      }
      if (
        clause.field === 'fixVersion' &&
        !state.allVersions.some((version) => sameName(version.name, value) || version.id === value)
      ) {
        reject(`The value '${value}' does not exist for the field 'fixVersion'.`);
      }
      if (clause.field === 'key' && !state.issue(value))
        reject(`An issue with key '${value}' does not exist for field 'key'.`);
    }
  }
  const valuesOf = (issue: SimIssue, field: JqlQuery['clauses'][number]['field']): string[] => {
    switch (field) {
      case 'project':
        return [issue.projectKey, state.project(issue.projectKey)?.id ?? ''];
      case 'key':
        return [issue.key, issue.id];
      case 'status':
        return [issue.status];
      case 'issuetype':
        return [issue.issueType];
      case 'fixVersion':
        return issue.fixVersionIds.flatMap((id) => [state.version(id)?.name ?? '', id]);
    }
  };
  const selected = state.issues.filter((issue) =>
    query.clauses.every((clause) => {
      const values = valuesOf(issue, clause.field);
      const hit = clause.values.some((wanted) => values.some((value) => sameName(value, wanted)));
      if (clause.operator === '=' || clause.operator === 'in') return hit;
      // Like Jira, != and NOT IN never match an empty field.
      return !hit && (clause.field !== 'fixVersion' || issue.fixVersionIds.length > 0);
    }),
  );
  const order =
    query.orderBy.length > 0 ? query.orderBy : [{ field: 'created' as const, direction: 'asc' as const }];
  return selected.sort((a, b) => {
    for (const { field, direction } of order) {
      const sign = direction === 'asc' ? 1 : -1;
      const difference =
        field === 'key'
          ? a.projectKey.localeCompare(b.projectKey) ||
            Number(a.key.split('-')[1]) - Number(b.key.split('-')[1])
          : Number(a.id) - Number(b.id);
      if (difference !== 0) return sign * difference;
    }
    return 0;
  });
}

function checkDate(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new SimHttpError(400, 'Please enter the date in the following format: yyyy-MM-dd', {
      errorMessages: [],
      errors: { releaseDate: 'Please enter the date in the following format: yyyy-MM-dd' },
    });
  }
  return value;
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
