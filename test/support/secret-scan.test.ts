import assert from 'node:assert/strict';
import { secretLeaks } from './global-fixture.ts';

describe('secret scan of captured logs', () => {
  it('finds a secret in raw, base64 and URL-encoded form, and nothing in clean text', () => {
    const secret = 'pat-s3cr3t/value+x';
    const cases: [string, number][] = [
      [`token=${secret}`, 1],
      [`Authorization: Basic ${Buffer.from(secret).toString('base64')}`, 1],
      [`url?t=${encodeURIComponent(secret)}`, 1],
      ['nothing to see', 0],
    ];
    for (const [text, expected] of cases) assert.equal(secretLeaks([text], [secret]).length, expected, text);
  });
});
