// Pages for people, at the paths Jira serves them: a ticket at /browse/{KEY} (summary, the description
// rendered from its ADF, status, fix versions, comments) and a board at /jira/boards (one column per
// workflow status). The links the Release Agent prints (`{site}/browse/{KEY}`) resolve to these. No
// login: the sandbox's Jira is on loopback; the REST routes keep their Basic auth.
import { escapeHtml, htmlPage, htmlResponse, safeHref } from '../html.ts';
import type { SimServer } from '../server.ts';
import type { JiraSimState, SimIssue } from './jira-simulator.ts';

type Node = { type?: unknown; text?: unknown; content?: unknown; attrs?: unknown; marks?: unknown };

const BLOCK_TAGS: Record<string, string> = {
  paragraph: 'p',
  bulletList: 'ul',
  orderedList: 'ol',
  listItem: 'li',
  blockquote: 'blockquote',
};

/** ADF as Jira shows it; an unknown node shows its children (or nothing), never raw markup. */
export function adfToHtml(node: unknown): string {
  if (!node || typeof node !== 'object') return '';
  const { type, text, content, attrs, marks } = node as Node;
  const children = Array.isArray(content) ? content.map(adfToHtml).join('') : '';
  if (type === 'text' && typeof text === 'string') {
    let html = escapeHtml(text);
    for (const mark of Array.isArray(marks) ? (marks as Node[]) : []) {
      if (mark.type === 'strong') html = `<b>${html}</b>`;
      else if (mark.type === 'em') html = `<i>${html}</i>`;
      else if (mark.type === 'code') html = `<code>${html}</code>`;
      else if (mark.type === 'strike') html = `<s>${html}</s>`;
      else if (mark.type === 'link') {
        const href = (mark.attrs as { href?: unknown } | undefined)?.href;
        html = `<a href="${safeHref(typeof href === 'string' ? href : '')}" rel="noopener noreferrer">${html}</a>`;
      }
    }
    return html;
  }
  if (type === 'hardBreak') return '<br>';
  if (type === 'rule') return '<hr>';
  if (type === 'heading') {
    const level = Number((attrs as { level?: unknown } | undefined)?.level);
    const tag = `h${Number.isInteger(level) && level >= 1 && level <= 6 ? level : 3}`;
    return `<${tag}>${children}</${tag}>`;
  }
  if (type === 'codeBlock') return `<pre><code>${children}</code></pre>`;
  const tag = typeof type === 'string' ? BLOCK_TAGS[type] : undefined;
  return tag ? `<${tag}>${children}</${tag}>` : children;
}

function statusPill(state: JiraSimState, status: string): string {
  return `<span class="pill ${state.statusCategory(status)}" data-status="${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

function issueLink(issue: SimIssue): string {
  return `<a href="/browse/${encodeURIComponent(issue.key)}">${escapeHtml(issue.key)}</a>`;
}

export function renderIssuePage(state: JiraSimState, issue: SimIssue): string {
  const versions = issue.fixVersionIds
    .map((id) => state.version(id)?.name)
    .filter((name): name is string => name !== undefined);
  const comments = issue.comments
    .map(
      (comment) =>
        `<div class="card comment" id="comment-${escapeHtml(comment.id)}"><div class="muted">${escapeHtml(comment.created)}</div>${adfToHtml(comment.body)}</div>`,
    )
    .join('');
  const body = `<header class="bar"><a href="/jira/boards">Board</a> / ${escapeHtml(issue.projectKey)} / ${escapeHtml(issue.key)}</header>
<main>
  <h1 id="summary">${escapeHtml(issue.summary)}</h1>
  <table>
    <tr><th>Type</th><td>${escapeHtml(issue.issueType)}</td></tr>
    <tr><th>Status</th><td id="status">${statusPill(state, issue.status)}</td></tr>
    <tr><th>Fix versions</th><td id="fix-versions">${versions.length > 0 ? versions.map(escapeHtml).join(', ') : '<span class="muted">None</span>'}</td></tr>
    <tr><th>Updated</th><td>${escapeHtml(issue.updated)}</td></tr>
  </table>
  <h3>Description</h3>
  <div id="description">${issue.description ? adfToHtml(issue.description) : '<p class="muted">None</p>'}</div>
  <h3>Comments (${issue.comments.length})</h3>
  <div id="comments">${comments || '<p class="muted">No comments yet.</p>'}</div>
</main>`;
  return htmlPage(`[${issue.key}] ${issue.summary} - Jira simulator`, body);
}

export function renderBoardPage(state: JiraSimState): string {
  const columns = state.workflow.statuses
    .map((status) => {
      const cards = state.issues
        .filter((issue) => issue.status === status.name)
        .map(
          (issue) =>
            `<div class="card" data-key="${escapeHtml(issue.key)}">${issueLink(issue)}<div>${escapeHtml(issue.summary)}</div></div>`,
        )
        .join('');
      return `<section class="column" data-status="${escapeHtml(status.name)}"><h3>${escapeHtml(status.name)}</h3>${cards}</section>`;
    })
    .join('');
  return htmlPage(
    'Board - Jira simulator',
    `<header class="bar">Board</header><main><div class="columns">${columns}</div></main>`,
  );
}

export function registerJiraPages(server: SimServer, state: JiraSimState): void {
  server.route('GET', '/browse/{key}', 'page.issue', (request) => {
    const issue = state.issue(request.params.key ?? '');
    if (!issue)
      return htmlResponse(404, htmlPage('Not found', `<main><p>${escapeHtml(NOT_FOUND)}</p></main>`));
    return htmlResponse(200, renderIssuePage(state, issue));
  });
  server.route('GET', '/jira/boards', 'page.board', () => htmlResponse(200, renderBoardPage(state)));
  server.route('GET', '/', 'page.board', () => htmlResponse(200, renderBoardPage(state)));
}

const NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
