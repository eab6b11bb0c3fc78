// The registrations both the Azure runtime (index.ts) and the local host serve, and their settings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../core/config.ts';
import { parseWorkMessage, workMessage } from '../../flows/work-messages.ts';
import { pollSchedule } from '../../functions/pr-poller.ts';
import {
  buildRegistrations,
  DEFAULT_WORK_QUEUE,
  MAX_DEQUEUE_COUNT,
  PYTHON_AGENT_PATHS,
} from '../../functions/registrations.ts';
import { coded } from '../core/expect-error.ts';

describe('functions: registrations', () => {
  it('registers the Python agent API, the hooks, the timer and the queue worker', () => {
    const routes = buildRegistrations({}).map((registration) =>
      registration.kind === 'http'
        ? `${registration.methods.filter((method) => method !== 'OPTIONS').join(',')} ${registration.route}`
        : `${registration.kind} ${registration.name}`,
    );
    assert.deepEqual(routes.sort(), [
      'GET api/approvals/pending',
      'GET api/releases/{repo}',
      'GET api/reviews',
      'GET api/staging',
      'GET api/status',
      // The Python agent's paths, answered by the same handlers (a team's Slack app and hooks keep working).
      'GET approvals/pending',
      'GET releases/{repo}',
      'GET staging',
      'GET status',
      'POST api/approvals/{threadId}',
      'POST api/azdo/events',
      'POST api/jobs/{step}',
      'POST api/manual/pr/{prId}',
      'POST api/manual/release',
      'POST api/slack/interactions',
      'POST approvals/{threadId}',
      'POST manual/pr/{prId}',
      'POST manual/release',
      'POST slack/interactions',
      'POST webhooks/azdo',
      'queue work-queue',
      'timer pr-poller',
    ]);
  });

  it('a Python agent path is the same function as its /api route: handler, methods and queue output', () => {
    const http = buildRegistrations({}).flatMap((registration) =>
      registration.kind === 'http' ? [registration] : [],
    );
    for (const [path, route] of Object.entries(PYTHON_AGENT_PATHS)) {
      const alias = http.find((registration) => registration.route === path);
      const target = http.find((registration) => registration.route === `api/${route}`);
      assert.ok(alias && target, path);
      assert.equal(alias.handler, target.handler, path);
      assert.deepEqual(alias.methods, target.methods, path);
      assert.deepEqual(alias.extraOutputs, target.extraOutputs, path);
      assert.notEqual(alias.name, target.name);
    }
    // Routes carry api/ themselves: host.json must not add a prefix of its own.
    const host = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'functions', 'host.json'), 'utf8'),
    );
    assert.equal(host.extensions.http.routePrefix, '');
  });

  it('queues to the configured queue, and only from the routes that enqueue', () => {
    const registrations = buildRegistrations({ WORK_QUEUE_NAME: 'my-queue' });
    const queue = registrations.find((registration) => registration.kind === 'queue');
    assert.equal(queue?.kind === 'queue' && queue.queueName, 'my-queue');
    const enqueuing = registrations.flatMap((registration) =>
      registration.kind === 'http' && registration.extraOutputs.length > 0 ? [registration.name] : [],
    );
    assert.deepEqual(enqueuing.sort(), [
      'approvals-decide',
      'azdo-events',
      'manual-pr',
      'manual-release',
      'python-approvals-decide',
      'python-azdo-events',
      'python-manual-pr',
      'python-manual-release',
      'python-slack-interactions',
      'slack-interactions',
    ]);
    assert.ok(
      registrations.every(
        (registration) =>
          registration.kind !== 'http' ||
          registration.extraOutputs.every((output) => output.queueName === 'my-queue'),
      ),
    );
    const fallback = buildRegistrations({ WORK_QUEUE_NAME: 'Not_Valid' }).find(
      (registration) => registration.kind === 'queue',
    );
    assert.equal(fallback?.kind === 'queue' && fallback.queueName, DEFAULT_WORK_QUEUE);
  });

  it('local.settings.example.json lists every app setting', () => {
    const example = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'functions', 'local.settings.example.json'), 'utf8'),
    );
    const missing = Object.keys(configSchema.shape).filter((name) => !(name in example.Values));
    assert.deepEqual(missing, []);
    // …and nothing the app does not read, nor another team's Jira site or project.
    const extra = Object.keys(example.Values).filter(
      (name) =>
        !(name in configSchema.shape) && !['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'].includes(name),
    );
    assert.deepEqual(extra, []);
    assert.doesNotMatch(JSON.stringify(example), /billo|ALLPOST/i);
  });

  it('host.json retries as often as the worker expects before poisoning', () => {
    const host = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'functions', 'host.json'), 'utf8'),
    );
    assert.equal(host.extensions.queues.maxDequeueCount, MAX_DEQUEUE_COUNT);
  });

  it('turns PR_POLL_INTERVAL_SECONDS into an NCRONTAB schedule', () => {
    assert.equal(pollSchedule(10), '*/10 * * * * *');
    assert.equal(pollSchedule(45), '*/30 * * * * *');
    assert.equal(pollSchedule(300), '0 */5 * * * *');
    assert.equal(pollSchedule(420), '0 */6 * * * *');
    assert.equal(pollSchedule(7200), '0 0 */2 * * *');
    assert.equal(pollSchedule(86_400), '0 0 0 * * *');
    const timer = buildRegistrations({ PR_POLL_INTERVAL_SECONDS: '600' }).find(
      (registration) => registration.kind === 'timer',
    );
    assert.equal(timer?.kind === 'timer' && timer.schedule, '0 */10 * * * *');
  });

  it('work messages: what is queued parses back; anything else is refused', () => {
    const message = workMessage('effect', { decisionId: 'merge_pr.pr7.abc', effect: 'complete_pr' });
    assert.deepEqual(parseWorkMessage(JSON.parse(JSON.stringify(message))), message);
    assert.deepEqual(parseWorkMessage(JSON.stringify(message)), message);
    assert.throws(() => parseWorkMessage({ ...message, effect: 'drop_tables' }), coded('INPUT_INVALID'));
    assert.throws(() => parseWorkMessage({ ...message, v: 2 }), coded('INPUT_INVALID'));
    assert.throws(() => parseWorkMessage('not json'), coded('INPUT_INVALID'));
  });
});
