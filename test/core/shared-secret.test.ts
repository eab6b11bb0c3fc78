import assert from 'node:assert/strict';
import { basicPassword, matchesSecret, verifyWebhookAuth } from '../../core/shared-secret.ts';
import { Secret } from '../../core/secret.ts';

const current = new Secret('hook-current-secret');
const previous = new Secret('hook-previous-secret');
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('service-hook shared secret', () => {
  it('accepts the current and the previous secret, in the header or as the basic-auth password', () => {
    const verify = (secretHeader?: string, authorization?: string) =>
      verifyWebhookAuth({ secrets: [current, previous], secretHeader, authorization });
    assert.deepEqual(verify('hook-current-secret'), { ok: true, via: 'header' });
    assert.deepEqual(verify('hook-previous-secret'), { ok: true, via: 'header' });
    assert.deepEqual(verify(undefined, basic('azdo', 'hook-previous-secret')), { ok: true, via: 'basic' });
    assert.deepEqual(verify('hook-current-secreT'), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verify('hook-current-secret-and-more'), { ok: false, reason: 'mismatch' });
    assert.deepEqual(
      verify(undefined, basic('hook-current-secret', 'x')),
      { ok: false, reason: 'mismatch' },
      'the user name is not the secret',
    );
    assert.deepEqual(verify(), { ok: false, reason: 'missing' });
    assert.deepEqual(verify(undefined, 'Bearer abc'), { ok: false, reason: 'malformed' });
    assert.deepEqual(
      verifyWebhookAuth({ secrets: [current], secretHeader: ['a', 'b'], authorization: undefined }),
      { ok: false, reason: 'malformed' },
    );
  });

  it('refuses everything when no secret is configured (an empty secret would match an empty header)', () => {
    const empty = new Secret('');
    assert.deepEqual(
      verifyWebhookAuth({ secrets: [empty, empty], secretHeader: '', authorization: basic('', '') }),
      { ok: false, reason: 'not_configured' },
    );
    assert.equal(matchesSecret('', [empty]), false);
    assert.equal(matchesSecret('x', [empty, 'x']), true);
  });

  it('reads the basic-auth password (which may contain colons)', () => {
    assert.equal(basicPassword(basic('u', 'p:a:ss')), 'p:a:ss');
    assert.equal(basicPassword('Basic !!!'), undefined);
    assert.equal(basicPassword(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
  });
});
