// The registrations both the Azure runtime (index.ts) and the local host serve, and their settings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../core/config.ts';
import { parseWorkMessage, workMessage } from '../../flows/work-messages.ts';
import { pollSchedule } from '../../functions/pr-poller.ts';
import { buildRegistrations, DEFAULT_WORK_QUEUE, MAX_DEQUEUE_COUNT } from '../../functions/registrations.ts';
import { coded } from '../core/expect-error.ts';

describe('functions: registrations', () => {
  it('registers the Python agent API, the hooks, the timer and the queue worker', () => {
    const routes = buildRegistrations({}).map((registration) =>
      registration.kind === 'http'
        ? `${registration.methods.filter((method) => method !== 'OPTIONS').join(',')} ${registration.route}`
        : `${registration.kind} ${registration.name}`,
    );
    assert.deepEqual(routes.sort(), [
      'GET approvals/pending',
      'GET releases/{repo}',
      'GET reviews',
      'GET staging',
      'GET status',
      'POST approvals/{threadId}',
      'POST azdo/events',
      'POST jobs/{step}',
      'POST manual/pr/{prId}',
      'POST manual/release',
      'POST slack/interactions',
      'queue work-queue',
      'timer pr-poller',
    ]);
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
