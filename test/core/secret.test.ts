import assert from 'node:assert/strict';
import util from 'node:util';
import fc from 'fast-check';
import { redact, redactFound, Secret, secretForms } from '../../core/secret.ts';

const REDACTED = '[redacted]';
const PAT = 'k7Xq2pLm9RtV4wZs8NcB1yHdQ'; // 25 characters: its base64 is padded
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

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
      assert.ok(forms.includes(b64url('a b+c')));
      assert.ok(forms.includes(hex('a b+c')));
      assert.ok(forms.includes(hex('a b+c').toUpperCase()));
      assert.equal(new Set(forms).size, forms.length);
      assert.deepEqual(secretForms('abc'), []);
    });

    // A secret whose encodings hold the characters that differ between the two base64 alphabets.
    const ODD = 'k?>~~?>>x\u00ff\u00fe-secret';
    const encodings: Array<[string, (text: string) => string]> = [
      ['raw', (text) => text],
      ['base64', b64],
      ['base64url', b64url],
      ['URL-encoded', encodeURIComponent],
      ['hex', hex],
      ['HEX', (text) => hex(text).toUpperCase()],
    ];
    for (const [name, encode] of encodings) {
      it(`redactFound removes the ${name} form and says it found one`, () => {
        for (const secret of [PAT, ODD]) {
          const { text, found } = redactFound(`before ${encode(secret)} after`, [secret]);
          assert.equal(found, true, name);
          assert.equal(text, `before ${REDACTED} after`);
        }
      });
    }

    it('base64url of the secret inside a longer base64url text is caught at every offset', () => {
      for (const prefix of ['', 'a', 'ab', 'abc']) {
        const blob = b64url(`${prefix}${ODD}tail`);
        const { text, found } = redactFound(blob, [ODD]);
        assert.equal(found, true, prefix);
        const left = text.split(REDACTED).join('');
        assert.ok(!Buffer.from(left, 'base64url').toString('latin1').includes(ODD));
      }
    });

    it('redactFound reports nothing for text without a secret', () => {
      assert.deepEqual(redactFound('plain words', [PAT]), { text: 'plain words', found: false });
    });

    it('property: no encoding of a secret survives, wherever it sits in the text', () => {
      const encoders = encodings.map(([, encode]) => encode);
      fc.assert(
        fc.property(
          fc.string({ minLength: 8, maxLength: 40 }),
          fc.string({ maxLength: 20 }),
          fc.string({ maxLength: 20 }),
          fc.constantFrom(...encoders),
          (secret, before, after, encode) => {
            const { text, found } = redactFound(`${before}${encode(secret)}${after}`, [secret]);
            assert.equal(found, true);
            for (const check of encoders) assert.ok(!text.includes(check(secret)));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('property: a secret inside base64 of a longer text is removed at any offset', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 8, maxLength: 40 }),
          fc.string({ maxLength: 10 }),
          fc.string({ maxLength: 10 }),
          fc.boolean(),
          (secret, before, after, urlSafe) => {
            const encode = urlSafe ? b64url : b64;
            const { text, found } = redactFound(encode(`${before}${secret}${after}`), [secret]);
            assert.equal(found, true);
            const left = text.split(REDACTED).join('');
            assert.ok(
              !Buffer.from(left, urlSafe ? 'base64url' : 'base64')
                .toString('utf8')
                .includes(secret),
            );
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
