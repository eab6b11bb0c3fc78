// Bad input, property-based (fast-check): random requests at every HTTP endpoint of the function app on
// the local host (bodies up to and beyond the limits, random headers and content types, random methods
// and paths) never get a 5xx, never crash the host and never change state; random inputs to every
// pipeline task end in a clear result (Failed with a coded message naming what was wrong, or a
// success), never an unhandled exception.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../functions/http.ts';
import { runTaskBundle } from '../../sandbox/agent/task-runner.ts';
import { signSlackRequest } from '../../core/slack-signature.ts';
import { startTestbed, type Testbed } from '../functions/testbed.ts';
import { taskDir } from '../support/task-bundles.ts';
import { pool, startReliabilityStack } from './kit.ts';
import type { Stack } from '../../sandbox/stack.ts';
import { scriptedClaude } from '../../sandbox/claude/index.ts';

/** Runs per HTTP endpoint group and phase; `FC_RUNS` raises it for a deeper search. */
const HTTP_RUNS = Number(process.env.FC_RUNS ?? 80);
/** Random input sets per task (run 4 at a time), plus the all-missing case. */
const TASK_BATCHES = Number(process.env.FC_TASK_BATCHES ?? 2);
const TASK_BATCH_SIZE = 4;
/** The local host refuses bodies above this before any function sees them. */
const HOST_MAX_BYTES = 4 * 1024 * 1024;
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;

// ---- random requests ----

type Body =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'big'; size: number; fill: string };

interface RandomRequest {
  method: string;
  /** Under /api/ (raw: may hold percent escapes and dots). */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: Body;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'APPLICATION/JSON',
  'application/json;;;',
  '',
];
/** Header values as HTTP allows them: printable ASCII. */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 200,
});
const HEADER_NAMES = [
  'authorization',
  'x-operator-token',
  'x-webhook-secret',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'origin',
  'accept',
  'user-agent',
  'content-encoding',
  'cookie',
  'x-forwarded-for',
  'x-ms-client-principal',
];
const headers = fc
  .record({
    contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
    others: fc.dictionary(
      fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,20}$/)),
      headerValue,
      { maxKeys: 5 },
    ),
    bearer: fc.option(fc.oneof(headerValue, fc.base64String({ maxLength: 300 })), { nil: undefined }),
  })
  .map(({ contentType, others, bearer }) => ({
    ...others,
    ...(contentType ? { 'content-type': contentType } : {}),
    ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
  }));

const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 4 }).map((text): Body => ({ kind: 'text', text })) },
  { weight: 3, arbitrary: anyText.map((text): Body => ({ kind: 'text', text })) },
  {
    weight: 2,
    arbitrary: fc
      .json({ maxDepth: 3 })
      .map((json): Body => ({ kind: 'text', text: `payload=${encodeURIComponent(json)}` })),
  },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes): Body => ({ kind: 'bytes', bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        size: fc.constantFrom(
          MAX_BODY_BYTES - 1,
          MAX_BODY_BYTES,
          MAX_BODY_BYTES + 1,
          1024 * 1024,
          HOST_MAX_BYTES + 1,
        ),
        fill: fc.constantFrom('a', '{', '%', '\u00e9'),
      })
      .map(({ size, fill }): Body => ({ kind: 'big', size, fill })),
  },
);

const segment = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => encodeURIComponent(text)),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((text) => encodeURIComponent(text)),
  fc.constantFrom(
    '',
    '.',
    '..',
    '%',
    '%E0%A4%A',
    '%00',
    '%2F',
    '%ED%A0%80',
    'a'.repeat(2_000),
    '1',
    '0',
    '-1',
    '99999999999',
  ),
  // Long names of multi-byte characters: short enough for the API, long once encoded as a table key.
  fc
    .tuple(fc.constantFrom('\u20ac', '\u00e9', '\u65e5', '\u{1F600}'), fc.integer({ min: 60, max: 256 }))
    .map(([character, count]) => encodeURIComponent(character.repeat(count)).slice(0, 6_000)),
);
const query = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom('repo', 'limit', 'code'), fc.string({ maxLength: 10 })), anyText),
  {
    maxLength: 3,
  },
);

/** Requests aimed at one route: mostly its method and shape, sometimes anything. */
function requestsFor(route: { method: string; path: fc.Arbitrary<string> }): fc.Arbitrary<RandomRequest> {
  return fc.record({
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
    ),
    path: route.path,
    query,
    headers,
    body,
  });
}

const ROUTES: { name: string; method: string; path: fc.Arbitrary<string> }[] = [
  { name: 'GET status', method: 'GET', path: fc.constant('status') },
  { name: 'POST slack/interactions', method: 'POST', path: fc.constant('slack/interactions') },
  { name: 'POST azdo/events', method: 'POST', path: fc.constant('azdo/events') },
  { name: 'GET releases/{repo}', method: 'GET', path: segment.map((repo) => `releases/${repo}`) },
  { name: 'GET staging', method: 'GET', path: fc.constant('staging') },
  {
    name: 'GET staging?repo=',
    method: 'GET',
    path: segment.map((repo) => `staging?repo=${repo}`),
  },
  { name: 'GET approvals/pending', method: 'GET', path: fc.constant('approvals/pending') },
  { name: 'POST approvals/{threadId}', method: 'POST', path: segment.map((id) => `approvals/${id}`) },
  { name: 'POST manual/pr/{prId}', method: 'POST', path: segment.map((id) => `manual/pr/${id}`) },
  { name: 'POST manual/release', method: 'POST', path: fc.constant('manual/release') },
  { name: 'GET reviews', method: 'GET', path: fc.constant('reviews') },
  {
    name: 'any method, any path',
    method: 'GET',
    path: fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => parts.join('/')),
  },
];

function bodyBytes(value: Body): Buffer | undefined {
  switch (value.kind) {
    case 'none':
      return undefined;
    case 'text':
      return Buffer.from(value.text, 'utf8');
    case 'bytes':
      return Buffer.from(value.bytes);
    case 'big':
      return Buffer.alloc(value.size, value.fill.charCodeAt(0) > 0x7f ? 'e' : value.fill);
  }
}

interface Answer {
  status: number | undefined;
  text: string;
  contentType: string;
  /** fetch failed (the host closed the connection on a body it refused to read). */
  networkError?: string;
  bytes: number;
}

async function send(apiUrl: string, request: RandomRequest): Promise<Answer> {
  const search = new URLSearchParams(request.query).toString();
  const bytes = request.method === 'GET' || request.method === 'HEAD' ? undefined : bodyBytes(request.body);
  try {
    const response = await fetch(`${apiUrl}/${request.path}${search ? `?${search}` : ''}`, {
      method: request.method,
      headers: request.headers,
      ...(bytes ? { body: new Uint8Array(bytes) } : {}),
      redirect: 'manual',
    });
    return {
      status: response.status,
      text: await response.text(),
      contentType: response.headers.get('content-type') ?? '',
      bytes: bytes?.length ?? 0,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: undefined,
      text: '',
      contentType: '',
      bytes: bytes?.length ?? 0,
      networkError: cause?.code ?? cause?.message ?? String(error),
    };
  }
}

/** What every answer must be: no 5xx, a coded JSON error for a refusal, no stack trace. */
function checkAnswer(request: RandomRequest, answer: Answer): void {
  if (answer.networkError) {
    // Only a body the host refuses unread may end in a closed connection.
    assert.ok(
      answer.bytes > HOST_MAX_BYTES,
      `${request.method} /api/${request.path}: ${answer.networkError}`,
    );
    return;
  }
  const status = answer.status ?? 0;
  assert.ok(
    status < 500,
    `${request.method} /api/${request.path.slice(0, 80)} answered ${status}: ${answer.text.slice(0, 200)}`,
  );
  if (answer.bytes > HOST_MAX_BYTES) assert.equal(status, 413);
  assert.doesNotMatch(answer.text, /\n\s+at |TypeError|ReferenceError/, 'no stack trace in an answer');
  if (status >= 400 && request.method !== 'HEAD') {
    assert.match(answer.contentType, /application\/json/);
    const parsed = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof parsed.error?.code, 'string', answer.text.slice(0, 200));
  }
}

// ---- state ----

/** Every entity of every table of the stack's prefix, without the service's own columns. */
async function tableSnapshot(bed: Testbed): Promise<Record<string, unknown[]>> {
  const service = TableServiceClient.fromConnectionString(bed.stack.storageConnectionString, {
    allowInsecureConnection: true,
  });
  const snapshot: Record<string, unknown[]> = {};
  for await (const table of service.listTables()) {
    if (!table.name?.startsWith(bed.stack.tablePrefix)) continue;
    const client = TableClient.fromConnectionString(bed.stack.storageConnectionString, table.name, {
      allowInsecureConnection: true,
    });
    const rows: unknown[] = [];
    for await (const entity of client.listEntities()) {
      const { etag: _etag, timestamp: _timestamp, ...rest } = entity as Record<string, unknown>;
      rows.push(rest);
    }
    // A table the store created on its first read holds nothing: not a change of state.
    if (rows.length > 0) snapshot[table.name] = rows;
  }
  return snapshot;
}

async function queueDepth(bed: Testbed): Promise<number> {
  const service = QueueServiceClient.fromConnectionString(bed.env.STORAGE_CONNECTION_STRING!);
  let depth = 0;
  for (const name of [bed.env.WORK_QUEUE_NAME!, `${bed.env.WORK_QUEUE_NAME}-poison`]) {
    try {
      depth += (await service.getQueueClient(name).getProperties()).approximateMessagesCount ?? 0;
    } catch {
      // not created yet: empty
    }
  }
  return depth;
}

const outsideCalls = (bed: Testbed) =>
  bed.stack.azdo.requestLog.length +
  bed.stack.jira.requestLog.length +
  bed.stack.slack.server.requestLog.length;

// ---- task inputs ----

interface TaskInput {
  name: string;
  type: string;
  required?: boolean;
  defaultValue?: string;
  options?: Record<string, string>;
}

const TASKS = [
  'ReviewPullRequest',
  'JiraTicket',
  'StageRelease',
  'Notify',
  'ReleasePullRequest',
  'RunPipelines',
  'CompleteRelease',
];

function taskInputs(task: string): TaskInput[] {
  const manifest = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'tasks', task, 'task.json'), 'utf8'),
  ) as {
    inputs: TaskInput[];
  };
  return manifest.inputs;
}

/** A value for one input: missing, its default or a valid choice, or something hostile. */
function inputValue(input: TaskInput): fc.Arbitrary<string | undefined> {
  const connection = input.type.startsWith('connectedService:')
    ? input.type.includes('jira')
      ? 'jira'
      : input.type.includes('slack')
        ? 'slack'
        : 'state'
    : undefined;
  const valid = [
    ...(connection ? [connection] : []),
    ...(input.options ? Object.keys(input.options) : []),
    ...(input.defaultValue ? [input.defaultValue] : []),
  ];
  // No NUL (an environment variable cannot hold one); the rest goes.
  const noNul = (text: string) => text.replace(/\u0000/g, '');
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    ...(valid.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...valid) }] : []),
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }).map(noNul) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }).map(noNul) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ' ',
        '\t\n',
        '-1',
        '0',
        '1e309',
        'NaN',
        'true',
        'TRUE',
        'yes',
        '1.2.3',
        '999999999999',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '$(System.AccessToken)',
        '../../../etc/passwd',
        '; rm -rf / #',
        '"quoted"',
        '{"a":',
        'refs/heads/../main',
        'ALLPOST-1',
        '\u202Eevil\u202C',
        'x'.repeat(100_000),
      ),
    },
  );
}

function taskCase(task: string): fc.Arbitrary<Record<string, string | undefined>> {
  const shape: Record<string, fc.Arbitrary<string | undefined>> = {};
  for (const input of taskInputs(task)) shape[input.name] = inputValue(input);
  return fc.record(shape);
}

const STACK_TRACE = /\n\s+at [^\n]+:\d+:\d+|Unhandled|TypeError|ReferenceError/;

describe('reliability: bad input', () => {
  const figures: string[] = [];
  after(() => {
    if (figures.length > 0) console.log(`  bad input (fast-check seed ${SEED}): ${figures.join('; ')}`);
  });

  describe('every HTTP endpoint of the function app', () => {
    let bed: Testbed;
    let requests = 0;
    const statuses = new Map<number | string, number>();
    before(async () => {
      bed = await startTestbed({ webhookEvents: [] });
    });
    after(async () => {
      await bed?.stop();
      if (requests > 0) {
        const spread = [...statuses.entries()]
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
          .map(([status, count]) => `${status}×${count}`)
          .join(' ');
        figures.push(
          `${requests} random HTTP requests over ${ROUTES.length} endpoint groups: 0 5xx, host up, state unchanged (${spread})`,
        );
      }
    });

    const exercise = async (
      arbitrary: fc.Arbitrary<RandomRequest>,
      prepare: (request: RandomRequest) => RandomRequest,
    ) => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (generated) => {
          const request = prepare(generated);
          const answer = await send(bed.host.apiUrl, request);
          requests++;
          const key = answer.status ?? 'closed';
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          checkAnswer(request, answer);
        }),
        { numRuns: HTTP_RUNS, seed: SEED, endOnFailure: true },
      );
    };

    const alive = async () => {
      const status = await bed.api('/status');
      assert.equal(status.status, 200);
      assert.equal(((await status.json()) as { status: string }).status, 'ok');
      const failures = bed.logs.filter((entry) => /function failed|request failed/.test(entry.message));
      assert.deepEqual(failures, [], 'no function threw');
    };

    it('a request target the URL parser would take for a host (`//9%3F`, what `/api/..//9%3F` becomes) is a 404, not a 500', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${bed.host.url}/`, { method: 'GET', path: '//9%3F' }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
      assert.equal(status, 404);
      assert.deepEqual(
        bed.logs.filter((entry) => /request failed/.test(entry.message)),
        [],
        'the host did not fail',
      );
    });

    it('without credentials: no 5xx, the host keeps answering, nothing changes and nothing is called', async function () {
      this.timeout(120_000);
      const tables = await tableSnapshot(bed);
      const calls = outsideCalls(bed);
      for (const route of ROUTES) await exercise(requestsFor(route), (request) => request);
      await bed.host.idle();
      await alive();
      assert.deepEqual(await tableSnapshot(bed), tables, 'no table changed');
      assert.equal(await queueDepth(bed), 0, 'nothing was queued');
      assert.equal(outsideCalls(bed), calls, 'no outside service was called');
    });

    it('with valid credentials and random content: no 5xx, no thread, decision, release or review written', async function () {
      this.timeout(120_000);
      const before = await tableSnapshot(bed);
      const { secrets } = bed.stack;
      const operator = { 'x-operator-token': secrets.operatorToken };
      const operatorRoutes = ROUTES.filter((route) => /approvals|manual|reviews/.test(route.name));
      for (const route of operatorRoutes)
        await exercise(requestsFor(route), (request) => ({
          ...request,
          headers: {
            ...Object.fromEntries(
              Object.entries(request.headers).filter(([name]) => name !== 'authorization'),
            ),
            ...operator,
          },
        }));
      // Slack: signed over whatever the body is, so the parser (not the signature check) sees it.
      await exercise(requestsFor(ROUTES[1]!), (request) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const raw = bodyBytes(request.body) ?? Buffer.alloc(0);
        return {
          ...request,
          method: 'POST',
          body: request.body.kind === 'big' ? request.body : { kind: 'bytes', bytes: raw },
          headers: {
            ...request.headers,
            'content-type': 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': signSlackRequest(
              secrets.slackSigningSecret,
              timestamp,
              raw.toString('utf8'),
            ),
          },
        };
      });
      // Service hooks: the shared secret, JSON bodies (random, or events with random fields).
      const event = JSON.parse(
        readFileSync(
          join(
            import.meta.dirname,
            '..',
            'fixtures',
            'azure-devops',
            'azdo-servicehook-git.pullrequest.created.json',
          ),
          'utf8',
        ),
      ) as Record<string, unknown>;
      const mutatedEvent = fc
        .record({
          field: fc.constantFrom('id', 'eventType', 'resource', 'publisherId', 'resourceVersion'),
          value: fc.jsonValue({ maxDepth: 3 }),
        })
        .map(({ field, value }) => JSON.stringify({ ...event, [field]: value }));
      await exercise(
        fc
          .record({ request: requestsFor(ROUTES[2]!), mutated: fc.option(mutatedEvent, { nil: undefined }) })
          .map(({ request, mutated }) =>
            mutated ? { ...request, body: { kind: 'text', text: mutated } as Body } : request,
          ),
        (request) => ({
          ...request,
          method: 'POST',
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            'x-webhook-secret': secrets.webhookSecret,
          },
        }),
      );
      await bed.host.idle(20_000);
      await alive();
      const after = await tableSnapshot(bed);
      for (const table of Object.keys({ ...before, ...after })) {
        // Delivery claims and the audit log are what an authenticated request may write.
        if (/Inbox$|Audit$/.test(table)) continue;
        assert.deepEqual(after[table] ?? [], before[table] ?? [], `${table} changed`);
      }
      assert.equal(bed.host.poisoned, 0, 'no queued message failed for good');
    });
  });

  describe('every input of every pipeline task', () => {
    let stack: Stack;
    let runs = 0;
    const results = new Map<string, number>();
    before(async () => {
      stack = await startReliabilityStack();
    });
    after(async () => {
      await stack?.stop();
      if (runs > 0) {
        const spread = [...results.entries()].map(([result, count]) => `${count} ${result}`).join(', ');
        figures.push(
          `${runs} task runs with random inputs over ${TASKS.length} tasks: every one ended in a clear result, none in an unhandled exception (${spread})`,
        );
      }
    });

    const run = async (task: string, inputs: Record<string, string | undefined>) => {
      const result = await runTaskBundle({
        taskDir: await taskDir(task),
        inputs,
        variables: stack.agentVariables({ 'Build.Repository.Name': 'Billo.BadInput', 'Build.BuildId': '7' }),
        endpoints: stack.endpoints,
        accessToken: stack.secrets.accessToken,
        // `claude` on the agent's PATH: the stand-in, approving.
        env: { PATH: [scriptedClaude({ scenario: 'approve' }).dir, process.env.PATH ?? ''].join(':') },
        timeoutMs: 30_000,
      });
      runs++;
      results.set(result.result ?? 'none', (results.get(result.result ?? 'none') ?? 0) + 1);
      const shown = `${task} ${JSON.stringify(inputs).slice(0, 300)} → ${result.result}: ${result.resultMessage}\n${result.stderr.slice(0, 500)}`;
      assert.ok(result.exitCode === 0 || result.exitCode === 1, `exit code ${result.exitCode}: ${shown}`);
      assert.ok(
        ['Succeeded', 'SucceededWithIssues', 'Failed', 'Skipped'].includes(result.result ?? ''),
        `no task.complete: ${shown}`,
      );
      assert.doesNotMatch(result.stderr, STACK_TRACE, shown);
      if (result.result === 'Failed') {
        // Every failure is one of ours: coded, and an input problem names the input.
        assert.match(result.resultMessage ?? '', /^\[[A-Z_]+\] \S/, shown);
        if (result.resultMessage?.startsWith('[INPUT_INVALID]'))
          assert.match(result.resultMessage, /input "[^"]+"|System\.|Build\.|connection/, shown);
      }
      return result;
    };

    for (const task of TASKS) {
      it(`${task}: all inputs missing, then random inputs`, async function () {
        this.timeout(90_000);
        const missing = await run(task, {});
        if (taskInputs(task).some((input) => input.required)) {
          assert.equal(missing.result, 'Failed');
          assert.match(missing.resultMessage ?? '', /^\[INPUT_INVALID\] .*input "[^"]+"/);
        } else {
          // Nothing is required (Notify without a Slack connection sends nothing and says so).
          assert.notEqual(missing.result, 'Failed', missing.resultMessage);
        }
        await fc.assert(
          fc.asyncProperty(
            fc.array(taskCase(task), { minLength: TASK_BATCH_SIZE, maxLength: TASK_BATCH_SIZE }),
            async (batch) => {
              await pool(batch, [1, 2, 3, 4], (inputs) => run(task, inputs));
            },
          ),
          { numRuns: TASK_BATCHES, seed: SEED, endOnFailure: true },
        );
      });
    }
  });
});
