import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { APP_TOKEN_ISSUER, appTokenClaims, signAppToken, verifyAppToken } from '../../core/app-token.ts';
import { Secret } from '../../core/secret.ts';

const KEY = 'cert-marketplace-certificate-string';
const NOW = 1_800_000_000;
const token = (claims: Record<string, unknown>, key = KEY, alg = 'HS256') => signAppToken(claims, key, alg);
const verify = (text: string, nowSeconds = NOW) =>
  verifyAppToken({ token: text, key: new Secret(KEY), nowSeconds });
const reason = (text: string, nowSeconds = NOW) => {
  const result = verify(text, nowSeconds);
  return result.ok ? 'ok' : result.reason;
};

describe('hub app token (HS256 JWT)', () => {
  it('accepts a token signed with the certificate and gives its user id', () => {
    const result = verify(token({ nameid: 'user-1', exp: NOW + 60 }));
    assert.ok(result.ok);
    assert.equal(result.claims.userId, 'user-1');
  });

  it('refuses every algorithm but HS256, before looking at the signature', () => {
    for (const alg of ['none', 'RS256', 'HS512', 'hs256', 'ES256'])
      assert.equal(reason(token({ exp: NOW + 60 }, KEY, alg)), 'unsupported_algorithm', alg);
    const payload = Buffer.from(JSON.stringify({ exp: NOW + 60 })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    assert.equal(reason(none), 'unsupported_algorithm');
  });

  it('refuses a token signed with another key, or altered after signing', () => {
    assert.equal(reason(token({ exp: NOW + 60 }, 'another-key')), 'bad_signature');
    const [head, , signature] = token({ nameid: 'user-1', exp: NOW + 60 }).split('.');
    const altered = Buffer.from(JSON.stringify({ nameid: 'admin', exp: NOW + 60 })).toString('base64url');
    assert.equal(reason(`${head}.${altered}.${signature}`), 'bad_signature');
    assert.equal(reason(`${head}.${altered}.`), 'bad_signature');
  });

  it('requires exp, honours it and nbf with a small tolerance', () => {
    assert.equal(reason(token({ nameid: 'u' })), 'missing_exp');
    assert.equal(reason(token({ exp: 'tomorrow' })), 'malformed');
    assert.equal(reason(token({ nameid: 'u', exp: NOW - 10 })), 'ok', 'within the 30 s tolerance');
    assert.equal(reason(token({ nameid: 'u', exp: NOW - 31 })), 'expired');
    assert.equal(reason(token({ nameid: 'u', exp: NOW + 600, nbf: NOW + 10 })), 'ok');
    assert.equal(reason(token({ nameid: 'u', exp: NOW + 600, nbf: NOW + 120 })), 'not_yet_valid');
  });

  it('refuses claims of the wrong shape after the signature check (the claims schema)', () => {
    assert.equal(reason(token({ nameid: 'u', exp: NOW + 60, nbf: 'soon' })), 'malformed');
    assert.equal(reason(token({ nameid: 'u', exp: NOW + 60, iat: null })), 'malformed');
    assert.equal(reason(token({ nameid: 'u', exp: [NOW + 60] })), 'malformed');
    // JSON's 1e999 reads as Infinity: a token that never expires is not a time.
    const head = Buffer.from('{"typ":"JWT","alg":"HS256"}').toString('base64url');
    for (const payload of ['{"nameid":"u","exp":1e999}', '["u"]', '"u"', 'null']) {
      const part = `${head}.${Buffer.from(payload).toString('base64url')}`;
      const signed = `${part}.${createHmac('sha256', KEY).update(part).digest('base64url')}`;
      assert.equal(reason(signed), 'malformed', payload);
    }
    const headerOnly = (header: string) => {
      const part = `${Buffer.from(header).toString('base64url')}.${Buffer.from(`{"nameid":"u","exp":${NOW + 5}}`).toString('base64url')}`;
      return `${part}.${createHmac('sha256', KEY).update(part).digest('base64url')}`;
    };
    assert.equal(reason(headerOnly('["HS256"]')), 'malformed');
    assert.equal(reason(headerOnly('{"alg":"HS256","crit":["exp"]}')), 'malformed');
    const raw = verify(token({ nameid: 'u', exp: NOW + 60, custom: 'kept' }));
    assert.ok(raw.ok);
    assert.equal(raw.claims.raw.custom, 'kept', 'claims the schema does not name still pass through');
  });

  it('refuses malformed tokens and an empty key', () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**', `${'a'.repeat(9000)}.b.c`])
      assert.equal(reason(bad), 'malformed', bad.slice(0, 20));
    assert.equal(verifyAppToken({ token: token({ exp: NOW + 60 }), key: '', nowSeconds: NOW }).ok, false);
  });

  it('uses the certificate string itself as the HMAC key (as Azure DevOps signs)', () => {
    const head = `${Buffer.from('{"typ":"JWT","alg":"HS256"}').toString('base64url')}.${Buffer.from(`{"nameid":"u","exp":${NOW + 5}}`).toString('base64url')}`;
    const signed = `${head}.${createHmac('sha256', Buffer.from(KEY, 'utf8')).update(head).digest('base64url')}`;
    assert.equal(reason(signed), 'ok');
  });

  describe('what the token is for (the function app passes every expectation)', () => {
    const ORG = '6f1c3a52-1111-4a8e-9c0d-2b7e6f0a9d41';
    const AUD = 'release-agent.release-agent';
    const good = (): Record<string, unknown> =>
      appTokenClaims({ userId: 'user-1', audience: AUD, organizationId: ORG, nowSeconds: NOW });
    const checked = (claims: Record<string, unknown>) => {
      const result = verifyAppToken({
        token: token(claims),
        key: new Secret(KEY),
        nowSeconds: NOW,
        expect: { audiences: [AUD], organizationId: ORG },
      });
      return result.ok ? 'ok' : result.reason;
    };

    it('accepts a token of this extension, this organisation and a user, as Azure DevOps issues it', () => {
      assert.equal(checked(good()), 'ok');
      assert.equal(good().iss, APP_TOKEN_ISSUER);
      assert.equal(
        checked({ ...good(), tid: ORG.toUpperCase() }),
        'ok',
        'the GUID compared case-insensitively',
      );
      assert.equal(checked({ ...good(), aud: ['other', AUD] }), 'ok', 'an audience list holding ours');
    });

    it('refuses another organisation, another audience, another issuer', () => {
      assert.equal(checked({ ...good(), tid: '00000000-0000-0000-0000-000000000000' }), 'wrong_organization');
      assert.equal(checked({ ...good(), tid: undefined }), 'wrong_organization');
      assert.equal(checked({ ...good(), aud: 'someone.else' }), 'wrong_audience');
      assert.equal(checked({ ...good(), aud: undefined }), 'wrong_audience');
      assert.equal(checked({ ...good(), iss: 'evil.example' }), 'wrong_issuer');
      assert.equal(checked({ ...good(), iss: undefined }), 'wrong_issuer');
    });

    it('refuses a token without a user', () => {
      assert.equal(checked({ ...good(), nameid: undefined }), 'no_user');
      assert.equal(checked({ ...good(), nameid: '  ' }), 'no_user');
    });

    it('caps the lifetime at 90 minutes (Azure DevOps issues about 70) and needs a start', () => {
      assert.equal(checked({ ...good(), nbf: NOW - 5, exp: NOW + 70 * 60 }), 'ok');
      assert.equal(checked({ ...good(), nbf: NOW - 5, exp: NOW + 24 * 3600 }), 'lifetime_too_long');
      assert.equal(
        checked({ ...good(), nbf: undefined, iat: NOW - 5, exp: NOW + 24 * 3600 }),
        'lifetime_too_long',
      );
      assert.equal(checked({ ...good(), nbf: undefined, iat: undefined }), 'lifetime_too_long');
      assert.equal(checked({ ...good(), exp: NOW - 60 }), 'expired');
    });
  });
});
