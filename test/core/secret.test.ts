import assert from 'node:assert/strict';
import util from 'node:util';
import { redact, Secret, secretForms } from '../../core/secret.ts';

const REDACTED = '[redacted]';
const PAT = 'k7Xq2pLm9RtV4wZs8NcB1yHdQ'; // 25 characters: its base64 is padded
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('core/secret', () => {
  describe('Secret', () => {
    const secret = new Secret(PAT);
    const renderings: Array<[string, () => string]> = [
      ['String()', () => String(secret)],
      ['template literal', () => `${secret}`],
      ['JSON.stringify', () => JSON.stringify({ secret })],
      ['util.inspect', () => util.inspect({ secret })],
      ['util.inspect showHidden', () => util.inspect(secret, { showHidden: true })],
      ['util.inspect without custom inspect', () => util.inspect(secret, { customInspect: false })],
      ['console-style %o', () => util.format('%o', secret)],
    ];
    for (const [label, render] of renderings) {
      it(`${label} does not show the value`, () => assert.ok(!render().includes(PAT), render()));
    }

    it('reveal() gives the value back', () => assert.equal(secret.reveal(), PAT));

    const empties: Array<[string, boolean]> = [
      ['', true],
      ['x', false],
    ];
    for (const [value, empty] of empties) {
      it(`isEmpty of ${JSON.stringify(value)} is ${empty}`, () =>
        assert.equal(new Secret(value).isEmpty, empty));
    }
  });

  describe('redact', () => {
    const cases: Array<[string, string, string[], string]> = [
      ['the raw value', `token=${PAT};`, [PAT], `token=${REDACTED};`],
      ['every occurrence', `${PAT} and ${PAT}`, [PAT], `${REDACTED} and ${REDACTED}`],
      ['base64 of the value', `blob ${b64(PAT)} end`, [PAT], `blob ${REDACTED} end`],
      ['URL-encoded', `?t=${encodeURIComponent('a+b/c=d&e')}`, ['a+b/c=d&e'], `?t=${REDACTED}`],
      [
        'form-encoded (spaces as +)',
        `t=${new URLSearchParams({ t: 'pass word!' }).toString().slice(2)}`,
        ['pass word!'],
        `t=${REDACTED}`,
      ],
      ['a Secret object', `x ${PAT} y`, [], `x ${REDACTED} y`],
      ['several secrets', 'alpha-1234 beta-5678', ['alpha-1234', 'beta-5678'], `${REDACTED} ${REDACTED}`],
      ['undefined entries are skipped', `x ${PAT}`, [undefined as unknown as string, PAT], `x ${REDACTED}`],
      ['values shorter than 4 characters are left alone', 'abc abc', ['abc'], 'abc abc'],
      ['text without secrets is unchanged', 'nothing here', [PAT], 'nothing here'],
    ];
    for (const [label, text, secrets, expected] of cases) {
      it(label, () => {
        const list = label === 'a Secret object' ? [new Secret(PAT)] : secrets;
        assert.equal(redact(text, list), expected);
      });
    }

    it('redacts a secret that contains a shorter one, whole', () => {
      const out = redact('x abcdefgh y', ['abcd', 'abcdefgh']);
      assert.equal(out, `x ${REDACTED} y`);
    });

    // A Basic header is base64(":" + PAT) or base64(user + ":" + token): the secret sits at any offset.
    const prefixes = ['', ':', 'u:', 'bot:', 'bot@billo.example:'];
    const suffixes = ['', '!', '?x', ':tail'];
    for (const prefix of prefixes) {
      for (const suffix of suffixes) {
        it(`base64 of ${JSON.stringify(`${prefix}<secret>${suffix}`)} loses the secret`, () => {
          const header = `Authorization: Basic ${b64(`${prefix}${PAT}${suffix}`)}`;
          const out = redact(header, [PAT]);
          assert.ok(out.includes(REDACTED), out);
          // Decoding what is left must not give the secret back.
          const left = out.replace('Authorization: Basic ', '').split(REDACTED).join('');
          assert.ok(!Buffer.from(left, 'base64').toString('latin1').includes(PAT));
          for (const part of out.split(REDACTED)) assert.ok(!part.includes(b64(PAT).slice(4, -4)), part);
        });
      }
    }

    it('secretForms lists raw, URL-encoded and base64 forms without duplicates', () => {
      const forms = secretForms('a b+c');
      assert.ok(forms.includes('a b+c'));
      assert.ok(forms.includes('a%20b%2Bc'));
      assert.ok(forms.includes('a+b%2Bc'));
      assert.ok(forms.includes(b64('a b+c')));
      assert.equal(new Set(forms).size, forms.length);
      assert.deepEqual(secretForms('abc'), []);
    });
  });
});
