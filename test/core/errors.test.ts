import assert from 'node:assert/strict';
import { CLIENT_ERROR_STATUSES, classifyError, ReleaseAgentError } from '../../core/errors.ts';
import { isTransient } from '../../flows/decision-effects.ts';
import { statusOf } from '../../functions/http.ts';

const coded = (code: ConstructorParameters<typeof ReleaseAgentError>[0], fields = {}) =>
  new ReleaseAgentError(code, 'x', fields);

describe('one error classification (core/errors.ts)', () => {
  it('sorts each kind of failure: client, config, outside, refused, internal', () => {
    assert.deepEqual(classifyError(coded('INPUT_INVALID')), {
      kind: 'client',
      status: 400,
      transient: false,
    });
    assert.deepEqual(classifyError(coded('FORBIDDEN')), { kind: 'client', status: 403, transient: false });
    assert.deepEqual(classifyError(coded('PR_STALE_COMMIT')), {
      kind: 'client',
      status: 409,
      transient: false,
    });
    assert.deepEqual(classifyError(coded('NOT_CONFIGURED')), {
      kind: 'config',
      status: 503,
      transient: false,
    });
    assert.deepEqual(classifyError(coded('SERVICE_TIMEOUT')), {
      kind: 'outside',
      status: 502,
      transient: true,
    });
    assert.deepEqual(classifyError(coded('VERSION_NOT_INCREASING')), {
      kind: 'refused',
      status: 500,
      transient: false,
    });
    assert.deepEqual(classifyError(coded('STORE_CONFLICT')), {
      kind: 'refused',
      status: 500,
      transient: true,
    });
    assert.deepEqual(classifyError(new Error('boom')), { kind: 'internal', status: 500, transient: true });
  });

  it('an outside HTTP answer is transient when the service was down or throttled, not when it refused', () => {
    for (const status of [500, 503, 408, 429]) {
      assert.equal(classifyError(coded('SERVICE_HTTP', { status })).transient, true, `status ${status}`);
    }
    for (const status of [400, 403, 404]) {
      assert.equal(classifyError(coded('SERVICE_HTTP', { status })).transient, false, `status ${status}`);
      assert.equal(classifyError(coded('SLACK_API_ERROR', { status })).transient, false, `slack ${status}`);
    }
    assert.equal(classifyError(coded('SLACK_API_ERROR')).transient, true, 'no status: assume an outage');
  });

  it('the HTTP routes and the worker read the same classification', () => {
    const samples = [
      coded('INPUT_INVALID'),
      coded('AUTH_INVALID'),
      coded('BODY_TOO_LARGE'),
      coded('CONFIG_INVALID'),
      coded('SERVICE_HTTP', { status: 404 }),
      coded('SERVICE_NETWORK'),
      coded('STORE_CONFLICT'),
      coded('JIRA_TRANSITION_UNAVAILABLE'),
      new TypeError('bug'),
    ];
    for (const error of samples) {
      assert.equal(statusOf(error), classifyError(error).status);
      assert.equal(isTransient(error), classifyError(error).transient);
    }
    assert.equal(statusOf(coded('SERVICE_HTTP', { status: 404 })), 502);
    assert.equal(isTransient(coded('JIRA_TRANSITION_UNAVAILABLE')), false);
  });

  it('lists the client statuses once, in order', () => {
    assert.deepEqual(CLIENT_ERROR_STATUSES, [400, 401, 403, 404, 409, 413, 415]);
  });
});
