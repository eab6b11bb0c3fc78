import assert from 'node:assert/strict';
import {
  allTicketKeys,
  DEFAULT_TICKET_KEY_PATTERN,
  findTicketKey,
  type TicketKeyOptions,
  ticketKeyFromBranch,
  ticketKeyFromTitle,
} from '../../core/tickets.ts';
import { coded } from './expect-error.ts';

describe('core/tickets', () => {
  describe('ticketKeyFromBranch', () => {
    const cases: Array<{ branch: string; key: string | undefined; options?: TicketKeyOptions }> = [
      { branch: 'feature/ALLPOST-4028_login-page', key: 'ALLPOST-4028' },
      { branch: 'refs/heads/feature/ALLPOST-4028_login', key: 'ALLPOST-4028' },
      { branch: 'ALLPOST-4028', key: 'ALLPOST-4028' },
      { branch: 'bugfix/ALLPOST-7-fix-crash', key: 'ALLPOST-7' },
      { branch: 'feature/A2B-99/sub', key: 'A2B-99' },
      { branch: 'feature/ALLPOST-1_ALLPOST-2', key: 'ALLPOST-1' },
      { branch: 'chore/update-dependencies', key: undefined },
      { branch: 'develop', key: undefined },
      { branch: '', key: undefined },
      // look-alikes
      { branch: 'feature/allpost-4028_login', key: undefined },
      { branch: 'feature/Allpost-4028', key: undefined },
      { branch: 'feature/fooALLPOST-4028', key: undefined },
      { branch: 'feature/9ALLPOST-4028', key: undefined },
      { branch: 'feature/ALLPOST-4028X9', key: undefined },
      { branch: 'feature/ALLPOST-4028x', key: undefined },
      { branch: 'feature/A-1', key: undefined },
      { branch: 'feature/ALLPOST-', key: undefined },
      { branch: 'release/2024-01-15', key: undefined },
      { branch: 'release/RELEASE-2024-01-15', key: undefined },
      { branch: 'fix/utf-8-decoding', key: undefined },
      { branch: 'fix/UTF-8-decoding', key: undefined },
      { branch: 'feature/SHA-256-hashes', key: undefined },
      { branch: 'feature/XALLPOST-4028', key: 'XALLPOST-4028' },
      { branch: 'feature/XALLPOST-4028', key: undefined, options: { projects: ['ALLPOST'] } },
      { branch: 'feature/SHA-256', key: 'SHA-256', options: { projects: ['SHA'] } },
      { branch: 'feature/OPS-12_and_ALLPOST-3', key: 'ALLPOST-3', options: { projects: ['ALLPOST'] } },
      { branch: 'feature/ALLPOST-4028', key: undefined, options: { projects: ['ALL'] } },
    ];
    for (const { branch, key, options } of cases) {
      it(`${JSON.stringify(branch)}${options ? ` with ${JSON.stringify(options)}` : ''} → ${key ?? 'none'}`, () => {
        assert.equal(ticketKeyFromBranch(branch, options), key);
      });
    }
  });

  describe('ticketKeyFromTitle', () => {
    const cases: Array<{ title: string; key: string | undefined }> = [
      { title: 'ALLPOST-12: fix login', key: 'ALLPOST-12' },
      { title: '[ALLPOST-12] fix login', key: 'ALLPOST-12' },
      { title: 'Fix login (ALLPOST-12)', key: 'ALLPOST-12' },
      { title: 'Merged PR 77: ALLPOST-12 fix login', key: 'ALLPOST-12' },
      { title: 'Fix login.', key: undefined },
      { title: 'Support ISO-8601 dates and TLS-1.2', key: undefined },
      { title: 'Patch CVE-2024-1234', key: undefined },
      { title: 'Bump to version 2.0.1-rc', key: undefined },
      { title: 'allpost-12: lowercase is not a key', key: undefined },
    ];
    for (const { title, key } of cases) {
      it(`${JSON.stringify(title)} → ${key ?? 'none'}`, () => {
        assert.equal(ticketKeyFromTitle(title), key);
      });
    }
  });

  describe('findTicketKey', () => {
    const cases: Array<{
      name: string;
      pr: { branch?: string; title?: string };
      options?: TicketKeyOptions;
      found: ReturnType<typeof findTicketKey>;
    }> = [
      {
        name: 'the branch wins over the title',
        pr: { branch: 'feature/ALLPOST-1_x', title: 'ALLPOST-2: y' },
        found: { key: 'ALLPOST-1', source: 'branch' },
      },
      {
        name: 'the title when the branch has none',
        pr: { branch: 'chore/update-dependencies', title: 'ALLPOST-2: y' },
        found: { key: 'ALLPOST-2', source: 'title' },
      },
      {
        name: 'the title alone',
        pr: { title: 'ALLPOST-2: y' },
        found: { key: 'ALLPOST-2', source: 'title' },
      },
      {
        name: 'none when neither has one',
        pr: { branch: 'chore/update-dependencies', title: 'Update deps' },
        found: undefined,
      },
      {
        name: 'the allow-list applies to both',
        pr: { branch: 'feature/OPS-1', title: 'ALLPOST-2: y' },
        options: { projects: ['ALLPOST'] },
        found: { key: 'ALLPOST-2', source: 'title' },
      },
      {
        name: 'a custom pattern',
        pr: { branch: 'feature/ALLPOST-1', title: 'fixes #42' },
        options: { pattern: '#\\d+' },
        found: { key: '#42', source: 'title' },
      },
      {
        name: 'a blank pattern means the default',
        pr: { branch: 'feature/ALLPOST-1' },
        options: { pattern: '  ' },
        found: { key: 'ALLPOST-1', source: 'branch' },
      },
    ];
    for (const { name, pr, options, found } of cases) {
      it(name, () => {
        assert.deepEqual(findTicketKey(pr, options), found);
      });
    }
  });

  describe('allTicketKeys', () => {
    const cases: Array<{ text: string; keys: string[]; options?: TicketKeyOptions }> = [
      { text: 'ALLPOST-2, ALLPOST-1 and ALLPOST-2 again', keys: ['ALLPOST-2', 'ALLPOST-1'] },
      { text: 'OPS-9\nALLPOST-1/ALLPOST-3_x', keys: ['OPS-9', 'ALLPOST-1', 'ALLPOST-3'] },
      { text: 'OPS-9 ALLPOST-1', keys: ['ALLPOST-1'], options: { projects: ['ALLPOST'] } },
      { text: 'UTF-8 and SHA-256 but ALLPOST-5', keys: ['ALLPOST-5'] },
      { text: 'nothing here', keys: [] },
    ];
    for (const { text, keys, options } of cases) {
      it(`${JSON.stringify(text)} → ${JSON.stringify(keys)}`, () => {
        assert.deepEqual(allTicketKeys(text, options), keys);
      });
    }

    it('exports the default pattern the config uses', () => {
      assert.equal(DEFAULT_TICKET_KEY_PATTERN, '[A-Z][A-Z0-9]+-\\d+');
    });
  });

  describe('invalid options', () => {
    const cases: Array<{ name: string; options: TicketKeyOptions; field: string; value: unknown }> = [
      {
        name: 'a pattern that is not a regular expression',
        options: { pattern: '[A-Z' },
        field: 'pattern',
        value: '[A-Z',
      },
      {
        name: 'a pattern that would escape its group',
        options: { pattern: 'A)|(B' },
        field: 'pattern',
        value: 'A)|(B',
      },
      {
        name: 'a pattern that matches the empty string',
        options: { pattern: '\\d*' },
        field: 'pattern',
        value: '\\d*',
      },
      {
        name: 'a project that is not a key',
        options: { projects: ['ALLPOST', 'all-post'] },
        field: 'projects',
        value: ['all-post'],
      },
    ];
    for (const { name, options, field, value } of cases) {
      it(`throws TICKET_KEY_INVALID for ${name}, from every entry point`, () => {
        const matches = coded('TICKET_KEY_INVALID', { [field]: value as string | string[] });
        assert.throws(() => ticketKeyFromBranch('feature/ALLPOST-1', options), matches);
        assert.throws(() => ticketKeyFromTitle('ALLPOST-1', options), matches);
        assert.throws(() => findTicketKey({}, options), matches);
        assert.throws(() => allTicketKeys('', options), matches);
      });
    }
  });
});
