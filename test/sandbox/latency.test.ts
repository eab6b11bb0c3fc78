import assert from 'node:assert/strict';
import {
  LATENCY_PROFILES,
  latencySampler,
  parseLatencyProfile,
  sampleLatency,
  seededRandom,
} from '../../sandbox/sim/latency.ts';
import { SimServer } from '../../sandbox/sim/server.ts';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe('sandbox latency profiles', () => {
  it('samples the same delays from the same seed, and other ones from another seed', () => {
    const take = (seed: number) => {
      const sample = latencySampler(LATENCY_PROFILES.real, 'azure-devops', seed);
      assert.ok(sample);
      return Array.from({ length: 20 }, () => sample({ method: 'GET', operation: 'PullRequests_Get' }));
    };
    assert.deepEqual(take(7), take(7));
    assert.notDeepEqual(take(7), take(8));
  });

  it('adds nothing under none', () => {
    for (const service of ['azure-devops', 'jira', 'slack'] as const)
      assert.equal(latencySampler(LATENCY_PROFILES.none, service), undefined);
  });

  it('gives each service and operation kind of real its configured median and p95 over many samples', () => {
    const random = seededRandom(42);
    for (const [service, kinds] of Object.entries(LATENCY_PROFILES.real)) {
      for (const [kind, figures] of Object.entries(kinds)) {
        const samples = Array.from({ length: 4000 }, () => sampleLatency(figures, random)).sort(
          (a, b) => a - b,
        );
        const m = median(samples);
        const p95 = samples[Math.floor(samples.length * 0.95)] as number;
        assert.ok(
          Math.abs(m - figures.medianMs) / figures.medianMs < 0.1,
          `${service} ${kind}: median ${m} vs ${figures.medianMs}`,
        );
        assert.ok(
          Math.abs(p95 - figures.p95Ms) / figures.p95Ms < 0.15,
          `${service} ${kind}: p95 ${p95} vs ${figures.p95Ms}`,
        );
      }
    }
  });

  it('counts GET as a read and POST as a write, and Slack read methods as reads', () => {
    const sample = latencySampler(
      { 'azure-devops': { read: { medianMs: 10, p95Ms: 11 }, write: { medianMs: 1000, p95Ms: 1100 } } },
      'azure-devops',
    );
    assert.ok(sample);
    assert.ok(sample({ method: 'GET', operation: 'x' }) < 20);
    assert.ok(sample({ method: 'POST', operation: 'x' }) > 500);
    const slack = latencySampler(
      { slack: { read: { medianMs: 10, p95Ms: 11 }, write: { medianMs: 1000, p95Ms: 1100 } } },
      'slack',
    );
    assert.ok(slack);
    assert.ok(slack({ method: 'POST', operation: 'users.info' }) < 20);
    assert.ok(slack({ method: 'POST', operation: 'chat.postMessage' }) > 500);
  });

  it('refuses an unknown profile name, naming the ones that exist', () => {
    assert.equal(parseLatencyProfile('real'), 'real');
    assert.equal(parseLatencyProfile(undefined), 'none');
    assert.throws(() => parseLatencyProfile('fast'), /unknown latency profile "fast".*none, real/);
  });

  it('makes the simulator server wait the profile delay before answering, and logs it', async () => {
    const server = new SimServer('latency-test');
    server.route('GET', '/thing', 'getThing', () => ({ status: 200, body: { ok: true } }));
    await server.start();
    try {
      const timed = async () => {
        const start = performance.now();
        const response = await fetch(`${server.url}/thing`);
        assert.equal(response.status, 200);
        return performance.now() - start;
      };
      server.latency = () => 150;
      const slow = await timed();
      assert.ok(slow >= 145, `answered after ${slow} ms, under the 150 ms delay`);
      assert.equal(server.requestLog.at(-1)?.latencyMs, 150);
      server.latency = undefined;
      const fast = await timed();
      assert.ok(fast < 100, `answered after ${fast} ms without a profile`);
      assert.equal(server.requestLog.at(-1)?.latencyMs, undefined);
    } finally {
      await server.stop();
    }
  });
});
