// Pages for people at the web URLs Azure DevOps gives (and the Release Agent prints on cards, in run
// summaries and in the hub): a pull request (`/{org}/{project}/_git/{repo}/pullrequest/{id}`), a run
// (`/{org}/{project}/_build/results?buildId=N`) and the environments with their pending approvals
// (`/{org}/{project}/_environments`), whose Approve/Reject buttons answer as a person in the UI would.
// Registered as pages (SimServer.page), not routes: the REST contract test holds routes and the
// request log to the 7.1 specs. Everything shown is escaped: PR text is written by whoever opened it.
import { escapeHtml, htmlPage, htmlResponse, markdownToHtml, safeHref } from '../html.ts';
import { SimHttpError, type SimRequest } from '../server.ts';
import { changedFiles } from './git.ts';
import type { ApprovalState, AzureDevOpsSimulator, PullRequestState, RunState } from './simulator.ts';

const ACCENT = '#0078d4';

function pill(state: string): string {
  return `<span class="pill ${escapeHtml(state)}">${escapeHtml(state)}</span>`;
}

function branch(ref: string): string {
  return escapeHtml(ref.replace(/^refs\/heads\//, ''));
}

function notFound(what: string) {
  return htmlResponse(
    404,
    htmlPage('Not found', `<main><h1>404</h1><p>${escapeHtml(what)}</p></main>`, ACCENT),
  );
}

export function registerAzureDevOpsPages(sim: AzureDevOpsSimulator): void {
  const server = sim.server;
  const projectPath = () =>
    `/${encodeURIComponent(sim.organization)}/${encodeURIComponent(sim.project.name)}`;
  const inProject = (request: SimRequest) =>
    request.params.organization?.toLowerCase() === sim.organization.toLowerCase() &&
    [sim.project.name.toLowerCase(), sim.project.id].includes(request.params.project?.toLowerCase() ?? '');
  const bar = (title: string) =>
    `<header class="bar"><a href="${projectPath()}/_environments">${escapeHtml(sim.organization)} / ${escapeHtml(sim.project.name)}</a> / ${escapeHtml(title)}</header>`;

  server.page('GET', '/{organization}/{project}/_git/{repository}/pullrequest/{id}', (request) => {
    if (!inProject(request)) return notFound('No such project.');
    const repo = [...sim.repositories.values()].find(
      (candidate) => candidate.name.toLowerCase() === request.params.repository?.toLowerCase(),
    );
    const pr = repo ? sim.pullRequests.get(Number(request.params.id)) : undefined;
    if (!repo || !pr || pr.repositoryId !== repo.id) return notFound('The pull request does not exist.');
    return htmlResponse(
      200,
      htmlPage(
        `Pull request ${pr.id}: ${pr.title}`,
        bar(`${repo.name} / PR ${pr.id}`) + pullRequestBody(sim, pr),
        ACCENT,
      ),
    );
  });

  server.page('GET', '/{organization}/{project}/_build/results', (request) => {
    if (!inProject(request)) return notFound('No such project.');
    const run = sim.runs.get(Number(request.query.get('buildId')));
    if (!run) return notFound('The run does not exist.');
    return htmlResponse(200, htmlPage(`Run ${run.name}`, bar(`Run ${run.id}`) + runBody(sim, run), ACCENT));
  });

  const environments = (request: SimRequest) => {
    if (!inProject(request)) return notFound('No such project.');
    return htmlResponse(
      200,
      htmlPage('Environments', bar('Environments') + environmentsBody(sim, projectPath()), ACCENT),
    );
  };
  server.page('GET', '/{organization}/{project}/_environments', environments);
  server.page('GET', '/{organization}/{project}/_environments/{id}', environments);

  // Approve/Reject on the page: as the person in the UI (decideApprovalAsUser), then back to the page.
  server.page('POST', '/{organization}/{project}/_environments/approvals/{approvalId}', (request) => {
    if (!inProject(request)) return notFound('No such project.');
    const form = request.form();
    const status = form.get('status');
    if (status !== 'approved' && status !== 'rejected')
      throw new SimHttpError(400, 'status must be approved or rejected');
    // Refusals (not pending, not permitted, unknown id) answer with the service's status and sentence.
    sim.decideApprovalAsUser(request.params.approvalId ?? '', status, { comment: form.get('comment') ?? '' });
    return { status: 303, headers: { location: `${projectPath()}/_environments` } };
  });
}

function pullRequestBody(sim: AzureDevOpsSimulator, pr: PullRequestState): string {
  const repo = sim.repositories.get(pr.repositoryId)!;
  const files = changedFiles(repo, pr.targetCommit, pr.sourceCommit);
  const threadsOf = (path: string | undefined) =>
    pr.threads.filter((thread) => thread.threadContext?.filePath === path && thread.comments.length > 0);
  const thread = (t: PullRequestState['threads'][number]) => {
    const at = t.threadContext
      ? `${escapeHtml(t.threadContext.filePath)}${t.threadContext.rightFileStart ? `:${t.threadContext.rightFileStart.line}` : ''}`
      : 'Overview';
    const comments = t.comments
      .map(
        (comment) =>
          `<div class="comment"><b>${escapeHtml(comment.author.displayName)}</b> <span class="muted">${escapeHtml(comment.publishedDate)}</span><div>${markdownToHtml(comment.content)}</div></div>`,
      )
      .join('');
    return `<div class="card thread" data-thread="${t.id}"><div class="muted"><span class="at">${at}</span> · ${pill(t.status)}</div>${comments}</div>`;
  };
  const fileSections = files
    .map(
      (file) =>
        `<section class="file"><h4><code>${escapeHtml(file.path)}</code> <span class="muted">${escapeHtml(file.changeType)}</span></h4>${threadsOf(
          file.path,
        )
          .map(thread)
          .join('')}</section>`,
    )
    .join('');
  // Threads on files the diff no longer shows still belong somewhere a person can read them.
  const listed = new Set(files.map((file) => file.path));
  const elsewhere = pr.threads.filter(
    (t) => t.comments.length > 0 && (!t.threadContext || !listed.has(t.threadContext.filePath)),
  );
  const statuses = pr.statuses
    .map(
      (status) =>
        `<tr><td>${escapeHtml(`${status.context.genre ? `${status.context.genre}/` : ''}${status.context.name}`)}</td><td>${pill(status.state)}</td><td>${escapeHtml(status.description)}</td><td>${status.targetUrl ? `<a href="${safeHref(status.targetUrl)}">details</a>` : ''}</td></tr>`,
    )
    .join('');
  const policies = sim
    .statusPoliciesOf(pr)
    .map(
      (policy) =>
        `<tr><td>Status ${escapeHtml(`${policy.settings.statusGenre ?? ''}/${policy.settings.statusName ?? ''}`)}${policy.isBlocking ? ' (required)' : ''}</td><td>${pill(sim.statusPolicyPassed(pr, policy) ? 'approved' : 'pending')}</td></tr>`,
    )
    .join('');
  return `<main>
  <h1 id="title">${escapeHtml(pr.title)}</h1>
  <p>${pill(pr.status)}${pr.isDraft ? ' <span class="pill">draft</span>' : ''} <b>${escapeHtml(pr.createdBy.displayName)}</b> wants to merge <code>${branch(pr.sourceRefName)}</code> into <code>${branch(pr.targetRefName)}</code></p>
  ${pr.status === 'completed' ? `<p id="completion">Completed${pr.closedBy ? ` by ${escapeHtml(pr.closedBy.displayName)}` : ''}${pr.closedDate ? ` on ${escapeHtml(pr.closedDate)}` : ''}: merge commit <code>${escapeHtml(pr.mergeCommit.slice(0, 8))}</code></p>` : ''}
  ${pr.autoCompleteSetBy ? `<p>Auto-complete set by ${escapeHtml(pr.autoCompleteSetBy.displayName)}</p>` : ''}
  <h3>Description</h3>
  <div id="description">${pr.description ? markdownToHtml(pr.description) : '<p class="muted">No description.</p>'}</div>
  <h3>Policies</h3>
  <table id="policies">
    <tr><td>Required policy</td><td>${pill(pr.policyStatus)}</td></tr>
    <tr><td>Merge</td><td>${pill(pr.mergeConflict ? 'conflicts' : 'succeeded')}</td></tr>
    ${policies}
  </table>
  <h3>Reviewers</h3>
  <p class="muted" id="votes">No reviewers have voted.</p>
  <h3>Statuses</h3>
  ${statuses ? `<table id="statuses">${statuses}</table>` : '<p class="muted">No statuses.</p>'}
  <h3>Files (${files.length})</h3>
  <div id="files">${fileSections || '<p class="muted">No changes.</p>'}</div>
  ${elsewhere.length > 0 ? `<h3>Discussion</h3><div id="discussion">${elsewhere.map(thread).join('')}</div>` : ''}
</main>`;
}

function runBody(sim: AzureDevOpsSimulator, run: RunState): string {
  const pipeline = sim.pipelines.get(run.pipelineId);
  const inProgress = sim.runInProgress(run);
  const record = sim.runRecords.get(run.id);
  const state = inProgress ? 'inProgress' : run.result;
  const head = `<h1 id="run-name">${escapeHtml(pipeline?.name ?? `pipeline ${run.pipelineId}`)} · ${escapeHtml(run.name)}</h1>
  <p id="run-state">${pill(state)} ${run.build ? `on <code>${branch(run.build.sourceBranch)}</code> at <code>${escapeHtml(run.build.sourceVersion.slice(0, 8))}</code>` : run.refName ? `on <code>${branch(run.refName)}</code>` : ''}</p>`;
  if (!record) return `<main>${head}<p class="muted">No stages recorded for this run.</p></main>`;
  const summaries = record.steps.flatMap((step) => step.summaries ?? []);
  const stages = record.stages
    .map((stage) => {
      const steps = record.steps
        .filter((step) => step.stage === stage.name)
        .map(
          (step) =>
            `<details class="step"><summary>${pill(step.result)} ${escapeHtml(step.job)} · ${escapeHtml(step.displayName)} <span class="muted">${Math.round(step.durationMs / 100) / 10} s${step.message ? ` · ${escapeHtml(step.message)}` : ''}</span></summary><pre>${escapeHtml(step.log.join('\n'))}</pre></details>`,
        )
        .join('');
      const approval = stage.approval
        ? `<div class="muted">Approval on ${escapeHtml(stage.environment ?? '')}: ${pill(stage.approval.status)}${stage.approval.by ? ` by ${escapeHtml(stage.approval.by)}` : ''}</div>`
        : '';
      return `<section class="card stage" data-stage="${escapeHtml(stage.name)}"><h3>${escapeHtml(stage.displayName)} ${pill(stage.result)}</h3>${stage.reason ? `<div class="muted">${escapeHtml(stage.reason)}</div>` : ''}${approval}${steps}</section>`;
    })
    .join('');
  return `<main>${head}
  ${summaries.length > 0 ? `<h2>Summary</h2><div id="summary" class="card">${summaries.map(markdownToHtml).join('<hr>')}</div>` : ''}
  <h2>Stages</h2><div id="stages">${stages}</div>
</main>`;
}

function environmentsBody(sim: AzureDevOpsSimulator, projectPath: string): string {
  const approvals = [...sim.approvals.values()];
  const row = (approval: ApprovalState) => {
    const buttons =
      approval.status === 'pending'
        ? `<form method="post" action="${projectPath}/_environments/approvals/${encodeURIComponent(approval.id)}" style="display:inline">
            <input name="comment" placeholder="Comment" aria-label="Comment">
            <button class="approve" name="status" value="approved">Approve</button>
            <button class="reject" name="status" value="rejected">Reject</button></form>`
        : `${pill(approval.status)}${approval.actualApprover ? ` by ${escapeHtml(approval.actualApprover.displayName)}` : ''}`;
    const run = approval.run
      ? `<a href="${projectPath}/_build/results?buildId=${approval.run.id}">${escapeHtml(approval.pipeline?.name ?? '')} ${escapeHtml(approval.run.name)}</a>`
      : '';
    return `<tr data-approval="${escapeHtml(approval.id)}" data-status="${approval.status}"><td>${escapeHtml(approval.environment?.name ?? '')}</td><td>${escapeHtml(approval.stageName ?? '')}</td><td>${run}</td><td>${escapeHtml(approval.instructions)}</td><td>${escapeHtml(approval.createdOn)}</td><td>${buttons}</td></tr>`;
  };
  const pending = approvals.filter((approval) => approval.status === 'pending');
  const decided = approvals
    .filter((approval) => approval.status !== 'pending')
    .slice(-20)
    .reverse();
  const head =
    '<tr><th>Environment</th><th>Stage</th><th>Run</th><th>Instructions</th><th>Requested</th><th></th></tr>';
  const environments = [...sim.environments.values()]
    .map(
      (env) =>
        `<li id="environment-${env.id}">${escapeHtml(env.name)} <span class="muted">${escapeHtml(env.description)}</span></li>`,
    )
    .join('');
  return `<main>
  <h2>Environments</h2><ul>${environments || '<li class="muted">None yet.</li>'}</ul>
  <h2>Waiting for approval (${pending.length})</h2>
  ${pending.length > 0 ? `<table id="pending">${head}${pending.map(row).join('')}</table>` : '<p class="muted">Nothing waits for approval.</p>'}
  <h2>Recently decided</h2>
  ${decided.length > 0 ? `<table id="decided">${head}${decided.map(row).join('')}</table>` : '<p class="muted">None.</p>'}
  <p class="muted">Approving here answers as ${escapeHtml(sim.users.approver.displayName)}, as in the Azure DevOps UI.</p>
</main>`;
}
