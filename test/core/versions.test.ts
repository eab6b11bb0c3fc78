import assert from 'node:assert/strict';
import type { Bump } from '../../core/model.ts';
import {
  bumpFromCommitMessage,
  bumpVersion,
  compareVersions,
  formatVersion,
  highestBump,
  type NextVersionInput,
  nextVersion,
  normalizeVersion,
  parseVersion,
  releaseAsFromDescription,
} from '../../core/versions.ts';
import { coded } from './expect-error.ts';

describe('core/versions', () => {
  describe('parseVersion and formatVersion', () => {
    const valid: Array<{
      text: string;
      version: { major: number; minor: number; patch: number };
      formatted: string;
    }> = [
      { text: '1.2.3', version: { major: 1, minor: 2, patch: 3 }, formatted: '1.2.3' },
      { text: 'v1.2.3', version: { major: 1, minor: 2, patch: 3 }, formatted: '1.2.3' },
      { text: 'V0.0.0', version: { major: 0, minor: 0, patch: 0 }, formatted: '0.0.0' },
      { text: '10.20.300', version: { major: 10, minor: 20, patch: 300 }, formatted: '10.20.300' },
    ];
    for (const { text, version, formatted } of valid) {
      it(`${text} → ${formatted}`, () => {
        assert.deepEqual(parseVersion(text), version);
        assert.equal(formatVersion(parseVersion(text)), formatted);
        assert.equal(normalizeVersion(text), formatted);
      });
    }

    const invalid = [
      '',
      '1.2',
      '1.2.3.4',
      '1.2.3-rc.1',
      '1.2.3+build.5',
      '01.2.3',
      '1.02.3',
      'vv1.2.3',
      ' 1.2.3',
      '1.2.x',
      'latest',
      '-1.2.3',
      '99999999999999999999.0.0',
    ];
    for (const text of invalid) {
      it(`rejects ${JSON.stringify(text)} with VERSION_INVALID naming it`, () => {
        assert.throws(() => parseVersion(text), coded('VERSION_INVALID', { value: text }));
      });
    }
  });

  describe('compareVersions', () => {
    const cases: Array<[string, string, -1 | 0 | 1]> = [
      ['1.2.3', '1.2.3', 0],
      ['v1.2.3', '1.2.3', 0],
      ['1.2.3', '1.2.4', -1],
      ['1.2.10', '1.2.9', 1],
      ['1.10.0', '1.9.99', 1],
      ['2.0.0', '10.0.0', -1],
      ['0.9.9', '1.0.0', -1],
    ];
    for (const [a, b, expected] of cases) {
      it(`${a} vs ${b} → ${expected}`, () => {
        assert.equal(compareVersions(a, b), expected);
        assert.equal(compareVersions(parseVersion(b), parseVersion(a)), expected === 0 ? 0 : -expected);
      });
    }
  });

  describe('bumpVersion', () => {
    const cases: Array<[string, Bump, string]> = [
      ['1.2.3', 'patch', '1.2.4'],
      ['1.2.3', 'minor', '1.3.0'],
      ['1.2.3', 'major', '2.0.0'],
      ['v0.9.9', 'patch', '0.9.10'],
      ['0.0.0', 'minor', '0.1.0'],
    ];
    for (const [version, bump, expected] of cases) {
      it(`${version} + ${bump} → ${expected}`, () => {
        assert.equal(bumpVersion(version, bump), expected);
      });
    }

    it('refuses to overflow the largest safe integer', () => {
      const top = `${Number.MAX_SAFE_INTEGER}.0.0`;
      assert.throws(() => bumpVersion(top, 'major'), coded('VERSION_INVALID'));
    });
  });

  describe('highestBump', () => {
    const cases: Array<[Bump[], Bump | undefined]> = [
      [[], undefined],
      [['patch'], 'patch'],
      [['patch', 'minor', 'patch'], 'minor'],
      [['minor', 'major', 'patch'], 'major'],
    ];
    for (const [bumps, expected] of cases) {
      it(`${JSON.stringify(bumps)} → ${expected}`, () => assert.equal(highestBump(bumps), expected));
    }
  });

  describe('bumpFromCommitMessage', () => {
    const cases: Array<{ message: string; conventional: Bump; plain: Bump }> = [
      { message: 'feat: add login', conventional: 'minor', plain: 'patch' },
      { message: 'feat(auth): add login', conventional: 'minor', plain: 'patch' },
      { message: 'Feat: add login', conventional: 'minor', plain: 'patch' },
      { message: 'Merged PR 123: feat(auth): add login', conventional: 'minor', plain: 'patch' },
      { message: 'Merged PR 123: fix: typo', conventional: 'patch', plain: 'patch' },
      { message: 'fix: typo', conventional: 'patch', plain: 'patch' },
      { message: 'feat!: drop v1 API', conventional: 'major', plain: 'patch' },
      { message: 'refactor(core)!: rename everything', conventional: 'major', plain: 'patch' },
      { message: 'Merged PR 9: fix!: change the default', conventional: 'major', plain: 'patch' },
      { message: 'fix: x\n\nBREAKING CHANGE: config renamed', conventional: 'major', plain: 'patch' },
      { message: 'feat: x\n\nBREAKING-CHANGE: config renamed', conventional: 'major', plain: 'patch' },
      { message: 'fix: x\n\nmentions a breaking change: in prose', conventional: 'patch', plain: 'patch' },
      { message: 'fix: x\n\nNote BREAKING CHANGE: mid-line', conventional: 'patch', plain: 'patch' },
      { message: 'feature: not the feat type', conventional: 'patch', plain: 'patch' },
      { message: 'feat:no space is not a header', conventional: 'patch', plain: 'patch' },
      { message: 'Add login page', conventional: 'patch', plain: 'patch' },
      { message: 'Update feat: in the middle', conventional: 'patch', plain: 'patch' },
      { message: '', conventional: 'patch', plain: 'patch' },
    ];
    for (const { message, conventional, plain } of cases) {
      it(`${JSON.stringify(message)} → ${conventional} (conventional), ${plain} (off)`, () => {
        assert.equal(bumpFromCommitMessage(message, { conventional: true }), conventional);
        assert.equal(bumpFromCommitMessage(message, { conventional: false }), plain);
      });
    }
  });

  describe('releaseAsFromDescription', () => {
    const cases: Array<{ text: string; version: string | undefined }> = [
      { text: 'Release-As: 2.0.0', version: '2.0.0' },
      { text: 'Some text\n\nrelease-as: v3.1.0\nmore', version: '3.1.0' },
      { text: 'RELEASE-AS :  1.0.0  ', version: '1.0.0' },
      { text: 'Release-As: 2.0.0\r\nthanks', version: '2.0.0' },
      { text: 'Release-As: 2.0.0\nRelease-As: v2.0.0', version: '2.0.0' },
      { text: 'no override here', version: undefined },
      { text: 'We could set Release-As: 2.0.0 later', version: undefined },
      { text: '', version: undefined },
    ];
    for (const { text, version } of cases) {
      it(`${JSON.stringify(text)} → ${version ?? 'none'}`, () => {
        assert.equal(releaseAsFromDescription(text), version);
      });
    }

    const invalid: Array<{ text: string; value: string }> = [
      { text: 'Release-As: 2.0', value: '2.0' },
      { text: 'Release-As: 2.0.0-beta.1', value: '2.0.0-beta.1' },
      { text: 'Release-As: next', value: 'next' },
      { text: 'Release-As:', value: '' },
      { text: 'Release-As: 2.0.0 because reasons', value: '2.0.0 because reasons' },
      { text: 'Release-As: 2.0.0\nRelease-As: 3.0.0', value: '2.0.0, 3.0.0' },
    ];
    for (const { text, value } of invalid) {
      it(`rejects ${JSON.stringify(text)} with VERSION_INVALID naming ${JSON.stringify(value)}`, () => {
        assert.throws(() => releaseAsFromDescription(text), coded('VERSION_INVALID', { value }));
      });
    }
  });

  describe('nextVersion', () => {
    const cases: Array<{ name: string; input: NextVersionInput; version: string }> = [
      { name: 'first release', input: { firstRelease: '1.0.0', bumps: ['major'] }, version: '1.0.0' },
      { name: 'first release, v accepted', input: { firstRelease: 'v0.1.0', bumps: [] }, version: '0.1.0' },
      {
        name: 'patch by default',
        input: { lastReleased: '1.4.2', firstRelease: '1.0.0', bumps: [] },
        version: '1.4.3',
      },
      {
        name: 'highest bump wins',
        input: { lastReleased: '1.4.2', firstRelease: '1.0.0', bumps: ['patch', 'minor', 'patch'] },
        version: '1.5.0',
      },
      {
        name: 'major',
        input: { lastReleased: 'v1.4.2', firstRelease: '1.0.0', bumps: ['minor', 'major'] },
        version: '2.0.0',
      },
      {
        name: 'Release-As wins over bumps',
        input: { lastReleased: '1.4.2', firstRelease: '1.0.0', bumps: ['major'], releaseAs: '1.4.5' },
        version: '1.4.5',
      },
      {
        name: 'Release-As on the first release',
        input: { firstRelease: '1.0.0', bumps: [], releaseAs: 'v0.3.0' },
        version: '0.3.0',
      },
    ];
    for (const { name, input, version } of cases) {
      it(`${name} → ${version}`, () => {
        assert.equal(nextVersion(input), version);
      });
    }

    const notIncreasing: Array<{ lastReleased: string; releaseAs: string; requested: string }> = [
      { lastReleased: '1.4.2', releaseAs: '1.4.2', requested: '1.4.2' },
      { lastReleased: '1.4.2', releaseAs: 'v1.4.1', requested: '1.4.1' },
      { lastReleased: '2.0.0', releaseAs: '1.9.9', requested: '1.9.9' },
    ];
    for (const { lastReleased, releaseAs, requested } of notIncreasing) {
      it(`Release-As ${releaseAs} after ${lastReleased} → VERSION_NOT_INCREASING`, () => {
        assert.throws(
          () => nextVersion({ lastReleased, firstRelease: '1.0.0', bumps: [], releaseAs }),
          coded('VERSION_NOT_INCREASING', { lastReleased, requested }),
        );
      });
    }

    const invalid: Array<{ name: string; input: NextVersionInput; value: string }> = [
      {
        name: 'lastReleased',
        input: { lastReleased: '1.4', firstRelease: '1.0.0', bumps: [] },
        value: '1.4',
      },
      { name: 'firstRelease', input: { firstRelease: 'one', bumps: [] }, value: 'one' },
      {
        name: 'releaseAs',
        input: { firstRelease: '1.0.0', bumps: [], releaseAs: '2.0.0-rc' },
        value: '2.0.0-rc',
      },
    ];
    for (const { name, input, value } of invalid) {
      it(`an invalid ${name} → VERSION_INVALID`, () => {
        assert.throws(() => nextVersion(input), coded('VERSION_INVALID', { value }));
      });
    }

    it('never repeats or goes backwards over a run of releases', () => {
      const bumpsPerRelease: Bump[][] = [[], ['minor'], ['patch', 'patch'], ['major', 'minor'], ['patch']];
      let last: string | undefined;
      const seen: string[] = [];
      for (const bumps of bumpsPerRelease) {
        const next = nextVersion({ lastReleased: last, firstRelease: '1.0.0', bumps });
        if (last !== undefined) assert.equal(compareVersions(next, last), 1, `${next} after ${last}`);
        seen.push(next);
        last = next;
      }
      assert.deepEqual(seen, ['1.0.0', '1.1.0', '1.1.1', '2.0.0', '2.0.1']);
    });
  });
});
