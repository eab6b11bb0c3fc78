import assert from 'node:assert/strict';
import { Secret } from '../../core/secret.ts';
import {
  type SlackSignatureFailure,
  type SlackSignatureInput,
  signSlackRequest,
  verifySlackSignature,
} from '../../core/slack-signature.ts';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = 1531420618;
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
  '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
  '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

const valid: SlackSignatureInput = {
  signingSecret: SECRET,
  timestamp: String(TIMESTAMP),
  signature: SIGNATURE,
  rawBody: BODY,
  nowSeconds: TIMESTAMP + 5,
};

describe('core/slack-signature', () => {
  describe('signSlackRequest', () => {
    it("reproduces Slack's documented signature", () => {
      assert.equal(signSlackRequest(SECRET, TIMESTAMP, BODY), SIGNATURE);
    });

    it('signs bytes and strings alike, and accepts a Secret', () => {
      assert.equal(
        signSlackRequest(new Secret(SECRET), String(TIMESTAMP), new TextEncoder().encode(BODY)),
        SIGNATURE,
      );
    });
  });

  describe('verifySlackSignature', () => {
    it("accepts Slack's documented request with an injected clock", () => {
      assert.deepEqual(verifySlackSignature(valid), { ok: true });
    });

    it('accepts the raw body as bytes and the secret as a Secret', () => {
      const result = verifySlackSignature({
        ...valid,
        signingSecret: new Secret(SECRET),
        rawBody: Buffer.from(BODY, 'utf8'),
      });
      assert.deepEqual(result, { ok: true });
    });

    it('accepts exactly 300 s of skew either way (the window is inclusive)', () => {
      assert.deepEqual(verifySlackSignature({ ...valid, nowSeconds: TIMESTAMP + 300 }), { ok: true });
      assert.deepEqual(verifySlackSignature({ ...valid, nowSeconds: TIMESTAMP - 300 }), { ok: true });
    });

    const rejections: { name: string; input: Partial<SlackSignatureInput>; reason: SlackSignatureFailure }[] =
      [
        {
          name: 'a tampered body',
          input: { rawBody: BODY.replace('user_name=roadrunner', 'user_name=coyote') },
          reason: 'bad_signature',
        },
        { name: 'one byte appended to the body', input: { rawBody: `${BODY}&` }, reason: 'bad_signature' },
        { name: 'a request 301 s old', input: { nowSeconds: TIMESTAMP + 301 }, reason: 'stale' },
        { name: 'a request 301 s in the future', input: { nowSeconds: TIMESTAMP - 301 }, reason: 'future' },
        { name: 'the wrong signing secret', input: { signingSecret: `${SECRET}x` }, reason: 'bad_signature' },
        { name: 'an empty signing secret', input: { signingSecret: '' }, reason: 'missing_secret' },
        { name: 'an empty Secret', input: { signingSecret: new Secret('') }, reason: 'missing_secret' },
        { name: 'no timestamp header', input: { timestamp: undefined }, reason: 'missing_headers' },
        { name: 'no signature header', input: { signature: undefined }, reason: 'missing_headers' },
        { name: 'an empty signature header', input: { signature: '  ' }, reason: 'missing_headers' },
        {
          name: 'a timestamp that is not a number',
          input: { timestamp: '1531420618.5' },
          reason: 'malformed',
        },
        {
          name: 'a signature without the v0= prefix',
          input: { signature: SIGNATURE.slice(3) },
          reason: 'malformed',
        },
        {
          name: 'a repeated signature header',
          input: { signature: [SIGNATURE, SIGNATURE] },
          reason: 'malformed',
        },
        {
          name: 'a signature one character short',
          input: { signature: SIGNATURE.slice(0, -1) },
          reason: 'bad_signature',
        },
        {
          name: 'a signature with a flipped last digit',
          input: { signature: `${SIGNATURE.slice(0, -1)}4` },
          reason: 'bad_signature',
        },
        {
          name: 'an uppercase hex signature',
          input: { signature: `v0=${SIGNATURE.slice(3).toUpperCase()}` },
          reason: 'bad_signature',
        },
        // The timestamp is part of what is signed: moving it (and the clock with it) breaks the signature.
        {
          name: 'a replayed signature with a new timestamp',
          input: { timestamp: String(TIMESTAMP + 60), nowSeconds: TIMESTAMP + 60 },
          reason: 'bad_signature',
        },
      ];
    for (const { name, input, reason } of rejections) {
      it(`rejects ${name}: ${reason}`, () => {
        assert.deepEqual(verifySlackSignature({ ...valid, ...input }), { ok: false, reason });
      });
    }

    it('checks the secret before anything else, so a misconfigured app never looks like a bad request', () => {
      const result = verifySlackSignature({
        signingSecret: '',
        timestamp: undefined,
        signature: undefined,
        rawBody: '',
        nowSeconds: 0,
      });
      assert.deepEqual(result, { ok: false, reason: 'missing_secret' });
    });

    it('accepts a header given once as a one-element array (how some hosts pass headers)', () => {
      const result = verifySlackSignature({
        ...valid,
        timestamp: [String(TIMESTAMP)],
        signature: [SIGNATURE],
      });
      assert.deepEqual(result, { ok: true });
    });
  });
});
