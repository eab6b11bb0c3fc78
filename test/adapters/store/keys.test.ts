import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isReleaseAgentError } from '../../../core/errors.ts';
import {
  asciiIndexValue,
  asciiJson,
  CHUNK_CHARS,
  decodeValue,
  encodeValue,
} from '../../../adapters/store/codec.ts';
import {
  decodeKeyPart,
  encodeKeyPart,
  joinKey,
  MAX_KEY_LENGTH,
  prefixUpperBound,
  reverseTime,
} from '../../../adapters/store/keys.ts';

const anyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 });
const keyInvalid = (error: unknown) => isReleaseAgentError(error, 'STORE_KEY_INVALID');

describe('Store keys', () => {
  it('encodes any text to allowed key characters without the separator, and decodes it back', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeKeyPart(text);
        assert.match(encoded, /^[A-Za-z0-9\-_.~]+$/);
        assert.equal(decodeKeyPart(encoded), text);
      }),
    );
    assert.equal(encodeKeyPart('refs/heads/feature/x'), 'refs~2Fheads~2Ffeature~2Fx');
    assert.equal(encodeKeyPart('a~b'), 'a~7Eb');
  });

  it('refuses empty, lone-surrogate and over-long keys with STORE_KEY_INVALID', () => {
    assert.throws(() => encodeKeyPart(''), keyInvalid);
    assert.throws(() => encodeKeyPart('a\ud800b'), keyInvalid);
    assert.throws(() => encodeKeyPart('/'.repeat(200)), keyInvalid); // 600 characters once encoded
    assert.equal(encodeKeyPart('x'.repeat(MAX_KEY_LENGTH)).length, MAX_KEY_LENGTH);
    assert.throws(() => joinKey('x'.repeat(300), 'y'.repeat(300)), keyInvalid);
  });

  it('reverse-time parts sort newest first and refuse non-timestamps', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.date({ noInvalidDate: true }), (a, b) => {
        const [ka, kb] = [reverseTime(a.toISOString(), 'a'), reverseTime(b.toISOString(), 'b')];
        assert.equal(ka < kb, a.getTime() > b.getTime());
      }),
    );
    assert.throws(
      () => reverseTime('soon', 'releasedAt'),
      (error: unknown) => isReleaseAgentError(error, 'INPUT_INVALID'),
    );
  });

  it('a prefix upper bound is above every key with the prefix', () => {
    assert.equal(prefixUpperBound('t|'), 't}');
    assert.ok('t|zzzz~7E' < prefixUpperBound('t|'));
  });
});

describe('Store record codec', () => {
  it('writes ASCII only: escaped JSON that parses back identical, injective index values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = asciiJson(value);
        assert.match(json, /^[\x00-\x7f]*$/);
        assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(value)));
      }),
    );
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        assert.match(asciiIndexValue(a), /^[\x00-\x7f]*$/);
        assert.equal(asciiIndexValue(a) === asciiIndexValue(b), a === b);
      }),
    );
    assert.notEqual(asciiIndexValue('é'), asciiIndexValue('\\u00e9'));
  });

  it('splits large records across data properties within the property limit and joins them back', () => {
    const value = { text: 'a'.repeat(3 * CHUNK_CHARS + 5), list: [1, 2, 3] };
    const props = encodeValue(value, { table: 'T', key: 'k' });
    assert.deepEqual(Object.keys(props), ['data0', 'data1', 'data2', 'data3']);
    for (const chunk of Object.values(props)) assert.ok(chunk.length <= CHUNK_CHARS);
    assert.deepEqual(decodeValue(props), value);
    assert.equal(decodeValue({ changes: '[]' }), undefined, 'a row without data holds no record');
  });
});
