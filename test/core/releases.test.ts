import assert from 'node:assert/strict';
import type { ArchivedRelease, GateRecord, StagingRelease } from '../../core/model.ts';
import {
  type AddTicketInput,
  addTicketToStaging,
  archiveCovers,
  archiveRelease,
  assertArchiveCovers,
  assertArchivedUnchanged,
  escapeMarkdownInline,
  rebaseStaging,
  releaseTag,
  removeTicketFromStaging,
  renderReleaseNotes,
  withTicketStatuses,
} from '../../core/releases.ts';
import { coded } from './expect-error.ts';

const T0 = new Date('2026-05-01T10:00:00.000Z');
const T1 = new Date('2026-05-02T11:00:00.000Z');
const T2 = new Date('2026-05-03T12:00:00.000Z');

function add(overrides: Partial<AddTicketInput> = {}): AddTicketInput {
  return {
    repo: 'web-app',
    ticket: { key: 'ALLPOST-1', summary: 'Login page' },
    prId: 10,
    bump: 'patch',
    lastReleased: '1.4.2',
    firstRelease: '1.0.0',
    now: T0,
    ...overrides,
  };
}

const staged: StagingRelease = {
  repo: 'web-app',
  version: '1.5.0',
  startedAt: T0.toISOString(),
  updatedAt: T1.toISOString(),
  tickets: [
    { key: 'ALLPOST-1', summary: 'Login page', prIds: [10, 12], bump: 'minor', addedAt: T0.toISOString() },
    { key: 'ALLPOST-2', summary: 'Fix crash', prIds: [11], bump: 'patch', addedAt: T1.toISOString() },
  ],
};

describe('core/releases', () => {
  describe('addTicketToStaging', () => {
    it('creates the staging release when there is none', () => {
      const { staging, changed } = addTicketToStaging(undefined, add());
      assert.equal(changed, true);
      assert.deepEqual(staging, {
        repo: 'web-app',
        version: '1.4.3',
        startedAt: T0.toISOString(),
        updatedAt: T0.toISOString(),
        tickets: [
          { key: 'ALLPOST-1', summary: 'Login page', prIds: [10], bump: 'patch', addedAt: T0.toISOString() },
        ],
      });
    });

    it('uses the first-release version for a repo never released', () => {
      const { staging } = addTicketToStaging(undefined, add({ lastReleased: undefined, bump: 'major' }));
      assert.equal(staging.version, '1.0.0');
    });

    const transitions: Array<{
      name: string;
      input: Partial<AddTicketInput>;
      changed: boolean;
      version: string;
      ticket?: { key: string; prIds: number[]; bump: string; summary: string; addedAt: string };
      ticketKeys: string[];
      releaseAs?: string;
    }> = [
      {
        name: 'the same ticket and PR again is a no-op',
        input: { ticket: { key: 'ALLPOST-1', summary: 'Login page' }, prId: 12, bump: 'minor', now: T2 },
        changed: false,
        version: '1.5.0',
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'a lower bump for a known ticket keeps the highest',
        input: { ticket: { key: 'ALLPOST-1', summary: 'Login page' }, prId: 10, bump: 'patch', now: T2 },
        changed: false,
        version: '1.5.0',
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'a new PR for a known ticket merges the PR ids sorted',
        input: { ticket: { key: 'ALLPOST-1', summary: 'Login page' }, prId: 11, bump: 'patch', now: T2 },
        changed: true,
        version: '1.5.0',
        ticket: {
          key: 'ALLPOST-1',
          prIds: [10, 11, 12],
          bump: 'minor',
          summary: 'Login page',
          addedAt: T0.toISOString(),
        },
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'a higher bump for a known ticket raises the version',
        input: { ticket: { key: 'ALLPOST-2', summary: 'Fix crash' }, prId: 11, bump: 'major', now: T2 },
        changed: true,
        version: '2.0.0',
        ticket: {
          key: 'ALLPOST-2',
          prIds: [11],
          bump: 'major',
          summary: 'Fix crash',
          addedAt: T1.toISOString(),
        },
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'a new summary from Jira replaces the old one',
        input: { ticket: { key: 'ALLPOST-2', summary: 'Fix crash on start' }, prId: 11, now: T2 },
        changed: true,
        version: '1.5.0',
        ticket: {
          key: 'ALLPOST-2',
          prIds: [11],
          bump: 'patch',
          summary: 'Fix crash on start',
          addedAt: T1.toISOString(),
        },
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'an empty summary keeps the known one',
        input: { ticket: { key: 'ALLPOST-2', summary: '  ' }, prId: 11, now: T2 },
        changed: false,
        version: '1.5.0',
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2'],
      },
      {
        name: 'a new ticket is appended',
        input: { ticket: { key: 'ALLPOST-3', summary: 'Dark mode' }, prId: 13, bump: 'patch', now: T2 },
        changed: true,
        version: '1.5.0',
        ticket: {
          key: 'ALLPOST-3',
          prIds: [13],
          bump: 'patch',
          summary: 'Dark mode',
          addedAt: T2.toISOString(),
        },
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2', 'ALLPOST-3'],
      },
      {
        name: 'Release-As wins over the bumps',
        input: { ticket: { key: 'ALLPOST-3', summary: 'Dark mode' }, prId: 13, releaseAs: 'v3.0.0', now: T2 },
        changed: true,
        version: '3.0.0',
        ticketKeys: ['ALLPOST-1', 'ALLPOST-2', 'ALLPOST-3'],
        releaseAs: '3.0.0',
      },
    ];
    for (const { name, input, changed, version, ticket, ticketKeys, releaseAs } of transitions) {
      it(name, () => {
        const before = structuredClone(staged);
        const result = addTicketToStaging(staged, add(input));
        assert.equal(result.changed, changed);
        assert.equal(result.staging.version, version);
        assert.deepEqual(
          result.staging.tickets.map((item) => item.key),
          ticketKeys,
        );
        if (ticket)
          assert.deepEqual(
            result.staging.tickets.find((item) => item.key === ticket.key),
            ticket,
          );
        assert.equal(result.staging.releaseAs, releaseAs);
        assert.equal(result.staging.startedAt, staged.startedAt);
        if (changed) {
          assert.notEqual(result.staging, staged);
          assert.equal(result.staging.updatedAt, T2.toISOString());
        } else {
          assert.equal(result.staging, staged, 'unchanged returns the very same object');
        }
        assert.deepEqual(staged, before, 'the input is not mutated');
      });
    }

    it('keeps the highest Release-As seen, so the version never goes backwards while adding', () => {
      const first = addTicketToStaging(staged, add({ releaseAs: '3.0.0', now: T1 })).staging;
      const lower = addTicketToStaging(
        first,
        add({ releaseAs: '2.5.0', ticket: { key: 'ALLPOST-9', summary: 'x' }, now: T2 }),
      );
      assert.equal(lower.staging.version, '3.0.0');
      assert.equal(lower.staging.releaseAs, '3.0.0');
      const higher = addTicketToStaging(first, add({ releaseAs: '3.1.0', now: T2 }));
      assert.equal(higher.staging.version, '3.1.0');
      assert.equal(higher.changed, true);
    });

    const invalid: Array<{
      name: string;
      current?: StagingRelease;
      input: Partial<AddTicketInput>;
      code: string;
    }> = [
      {
        name: 'a staging release of another repo',
        current: staged,
        input: { repo: 'api' },
        code: 'INPUT_INVALID',
      },
      { name: 'an empty repo', input: { repo: ' ' }, code: 'INPUT_INVALID' },
      { name: 'an empty ticket key', input: { ticket: { key: '', summary: 'x' } }, code: 'INPUT_INVALID' },
      { name: 'a PR id of 0', input: { prId: 0 }, code: 'INPUT_INVALID' },
      { name: 'a fractional PR id', input: { prId: 1.5 }, code: 'INPUT_INVALID' },
      { name: 'an unknown bump', input: { bump: 'huge' as never }, code: 'INPUT_INVALID' },
      { name: 'an invalid clock', input: { now: new Date('nope') }, code: 'INPUT_INVALID' },
      { name: 'an invalid Release-As', input: { releaseAs: '2.0' }, code: 'VERSION_INVALID' },
      {
        name: 'a Release-As not above the last release',
        input: { releaseAs: '1.4.2' },
        code: 'VERSION_NOT_INCREASING',
      },
    ];
    for (const { name, current, input, code } of invalid) {
      it(`refuses ${name} with ${code}`, () => {
        assert.throws(() => addTicketToStaging(current, add(input)), coded(code as 'INPUT_INVALID'));
      });
    }
  });

  describe('ticket statuses', () => {
    it('records the Jira status a ticket is staged with, and a later one when it is staged again', () => {
      const first = addTicketToStaging(
        undefined,
        add({ ticket: { key: 'ALLPOST-1', summary: 'Login page', status: 'Code Review' } }),
      );
      assert.equal(first.staging.tickets[0]?.status, 'Code Review');
      const again = addTicketToStaging(
        first.staging,
        add({ prId: 11, ticket: { key: 'ALLPOST-1', summary: '', status: 'Staging' } }),
      );
      assert.equal(again.staging.tickets[0]?.status, 'Staging');
      const without = addTicketToStaging(
        again.staging,
        add({ prId: 12, ticket: { key: 'ALLPOST-1', summary: '' } }),
      );
      assert.equal(without.staging.tickets[0]?.status, 'Staging', 'no status given keeps the one recorded');
      const none = addTicketToStaging(undefined, add());
      assert.ok(!('status' in (none.staging.tickets[0] ?? {})), 'no status without Jira');
    });

    it('sets the statuses given by key, leaves the others and the input alone', () => {
      const next = withTicketStatuses(
        staged,
        new Map([
          ['ALLPOST-2', 'Staging'],
          ['ALLPOST-9', 'Done'],
        ]),
      );
      assert.notEqual(next, staged);
      assert.deepEqual(
        next.tickets.map((ticket) => [ticket.key, ticket.status]),
        [
          ['ALLPOST-1', undefined],
          ['ALLPOST-2', 'Staging'],
        ],
      );
      assert.equal(staged.tickets[1]?.status, undefined, 'the input is not changed');
      assert.equal(next.tickets[0], staged.tickets[0], 'an untouched ticket is shared');
    });

    it('returns the same release when nothing changes (so the write can be skipped)', () => {
      const withStatus = withTicketStatuses(staged, new Map([['ALLPOST-1', 'Staging']]));
      assert.equal(withTicketStatuses(withStatus, new Map([['ALLPOST-1', 'Staging']])), withStatus);
      assert.equal(
        withTicketStatuses(staged, new Map([['ALLPOST-1', '  ']])),
        staged,
        'a blank status is no status',
      );
      assert.equal(withTicketStatuses(staged, new Map()), staged);
    });
  });

  describe('removeTicketFromStaging', () => {
    const cases: Array<{ name: string; key: string; changed: boolean; version: string; keys: string[] }> = [
      {
        name: 'removing the minor ticket lowers the version',
        key: 'ALLPOST-1',
        changed: true,
        version: '1.4.3',
        keys: ['ALLPOST-2'],
      },
      {
        name: 'removing the patch ticket keeps the version',
        key: 'ALLPOST-2',
        changed: true,
        version: '1.5.0',
        keys: ['ALLPOST-1'],
      },
      {
        name: 'an unknown ticket is a no-op',
        key: 'ALLPOST-9',
        changed: false,
        version: '1.5.0',
        keys: ['ALLPOST-1', 'ALLPOST-2'],
      },
    ];
    for (const { name, key, changed, version, keys } of cases) {
      it(name, () => {
        const result = removeTicketFromStaging(staged, {
          key,
          lastReleased: '1.4.2',
          firstRelease: '1.0.0',
          now: T2,
        });
        assert.equal(result.changed, changed);
        assert.equal(result.staging.version, version);
        assert.deepEqual(
          result.staging.tickets.map((ticket) => ticket.key),
          keys,
        );
        if (!changed) assert.equal(result.staging, staged);
        else assert.equal(result.staging.updatedAt, T2.toISOString());
      });
    }
  });

  describe('rebaseStaging', () => {
    it('versions the same tickets again over a release archived meanwhile', () => {
      // 1.5.0 was computed over 1.4.2; 1.5.0 itself has been released since.
      const result = rebaseStaging(staged, { lastReleased: '1.5.0', firstRelease: '1.0.0', now: T2 });
      assert.equal(result.changed, true);
      assert.equal(result.staging.version, '1.6.0');
      assert.deepEqual(result.staging.tickets, staged.tickets);
      assert.equal(result.staging.updatedAt, T2.toISOString());
      const same = rebaseStaging(staged, { lastReleased: '1.4.2', firstRelease: '1.0.0', now: T2 });
      assert.equal(same.changed, false);
      assert.equal(same.staging, staged);
    });
  });

  describe('archiveRelease and assertArchivedUnchanged', () => {
    const gates: GateRecord[] = [
      { gate: 'create_release_pr', outcome: 'approved', by: 'U1', via: 'slack', at: T1.toISOString() },
      { gate: 'merge_release_pr', outcome: 'approved', by: 'U2', via: 'hub', at: T2.toISOString() },
    ];
    const archive = () =>
      archiveRelease(staged, {
        releasedAt: T2,
        notes: '## notes',
        gates,
        releasePrId: 77,
        tag: releaseTag('1.5.0'),
      });

    it('copies the staging release into an archived one', () => {
      assert.deepEqual(archive(), {
        repo: 'web-app',
        version: '1.5.0',
        startedAt: T0.toISOString(),
        releasedAt: T2.toISOString(),
        tickets: staged.tickets,
        notes: '## notes',
        gates,
        releasePrId: 77,
        tag: 'v1.5.0',
      });
    });

    it('is deep-frozen and shares nothing with its input', () => {
      const archived = archive();
      assert.ok(Object.isFrozen(archived));
      assert.ok(Object.isFrozen(archived.tickets));
      assert.ok(Object.isFrozen(archived.tickets[0]?.prIds));
      assert.ok(Object.isFrozen(archived.gates[0]));
      const first = archived.tickets[0];
      assert.ok(first);
      assert.throws(() => (first.prIds as number[]).push(99), TypeError);
      assert.throws(() => {
        (first as { summary: string }).summary = 'changed';
      }, TypeError);
      assert.notEqual(archived.tickets[0], staged.tickets[0]);
      assert.equal(Object.isFrozen(staged.tickets[0]), false);
    });

    it('accepts an identical archive (an idempotent retry), key order and undefined fields aside', () => {
      const existing = archive();
      const reordered = JSON.parse(
        JSON.stringify({ ...existing, tag: undefined, releasePrId: 77 }),
      ) as ArchivedRelease;
      reordered.tag = 'v1.5.0';
      assert.doesNotThrow(() => assertArchivedUnchanged(existing, archive()));
      assert.doesNotThrow(() => assertArchivedUnchanged(existing, reordered));
    });

    const changes: Array<{ name: string; change: (release: ArchivedRelease) => ArchivedRelease }> = [
      { name: 'other notes', change: (release) => ({ ...release, notes: 'rewritten' }) },
      { name: 'another release date', change: (release) => ({ ...release, releasedAt: T1.toISOString() }) },
      { name: 'a ticket less', change: (release) => ({ ...release, tickets: release.tickets.slice(1) }) },
      { name: 'a missing tag', change: ({ tag: _tag, ...release }) => release },
      { name: 'another gate record', change: (release) => ({ ...release, gates: [] }) },
    ];
    for (const { name, change } of changes) {
      it(`refuses ${name} with RELEASE_ARCHIVED`, () => {
        const existing = archive();
        assert.throws(
          () => assertArchivedUnchanged(existing, change(archive())),
          coded('RELEASE_ARCHIVED', { repo: 'web-app', version: '1.5.0' }),
        );
      });
    }

    it('refuses to compare different releases', () => {
      const other = { ...archive(), version: '1.6.0' };
      assert.throws(() => assertArchivedUnchanged(archive(), other), coded('INPUT_INVALID'));
    });
  });

  describe('archiveCovers: may staging be retired in favour of the archive of its version', () => {
    const archived = archiveRelease(staged, { releasedAt: T2, notes: '', gates: [] });
    const withTickets = (tickets: StagingRelease['tickets']): StagingRelease => ({ ...staged, tickets });

    it('covers the staging release it was made from, and one with fewer tickets or PRs', () => {
      assert.equal(archiveCovers(archived, staged), true);
      assert.equal(archiveCovers(archived, withTickets(staged.tickets.slice(1))), true);
      const [first, ...rest] = staged.tickets;
      assert.ok(first);
      assert.equal(archiveCovers(archived, withTickets([{ ...first, prIds: [10] }, ...rest])), true);
      assert.doesNotThrow(() => assertArchiveCovers(archived, staged));
    });

    it('does not cover a ticket the archive lacks, nor another PR of an archived ticket', () => {
      const [first, ...rest] = staged.tickets;
      assert.ok(first);
      const newTicket = { ...first, key: 'ALLPOST-99', prIds: [99] };
      const newPr = { ...first, prIds: [...first.prIds, 99] };
      for (const staging of [withTickets([...staged.tickets, newTicket]), withTickets([newPr, ...rest])]) {
        assert.equal(archiveCovers(archived, staging), false);
        assert.throws(
          () => assertArchiveCovers(archived, staging),
          coded('RELEASE_ARCHIVED', { repo: 'web-app', version: '1.5.0' }),
        );
      }
    });
  });

  describe('renderReleaseNotes', () => {
    it('renders a staging release', () => {
      assert.equal(
        renderReleaseNotes(staged, { jiraBaseUrl: 'https://billolife.atlassian.net/' }),
        [
          '## web-app 1.5.0',
          '',
          '- [ALLPOST-1](https://billolife.atlassian.net/browse/ALLPOST-1): Login page (PRs !10, !12)',
          '- [ALLPOST-2](https://billolife.atlassian.net/browse/ALLPOST-2): Fix crash (PR !11)',
          '',
        ].join('\n'),
      );
    });

    it('with no Jira site configured: the keys without links', () => {
      assert.equal(
        renderReleaseNotes(staged, { jiraBaseUrl: '' }),
        [
          '## web-app 1.5.0',
          '',
          '- ALLPOST-1: Login page (PRs !10, !12)',
          '- ALLPOST-2: Fix crash (PR !11)',
          '',
        ].join('\n'),
      );
    });

    it('renders an archived release with its date, and an empty one', () => {
      const archived = archiveRelease({ ...staged, tickets: [] }, { releasedAt: T2, notes: '', gates: [] });
      assert.equal(
        renderReleaseNotes(archived, { jiraBaseUrl: 'https://jira.example' }),
        '## web-app 1.5.0\n\nReleased 2026-05-03.\n\n_No tickets._\n',
      );
    });

    const summaries: Array<{ summary: string; rendered: string }> = [
      { summary: 'Plain', rendered: 'Plain' },
      { summary: 'Click [here](https://evil.example)', rendered: 'Click \\[here\\](https://evil.example)' },
      { summary: '![img](https://evil.example/x.png)', rendered: '!\\[img\\](https://evil.example/x.png)' },
      { summary: 'a\\]b', rendered: 'a\\\\\\]b' },
      { summary: 'line one\n## Heading\n- item', rendered: 'line one ## Heading - item' },
      { summary: '<script>alert(1)</script>', rendered: '&lt;script&gt;alert(1)&lt;/script&gt;' },
      { summary: 'tab\there\u0007bell', rendered: 'tab here bell' },
    ];
    for (const { summary, rendered } of summaries) {
      it(`escapes the untrusted summary ${JSON.stringify(summary)}`, () => {
        assert.equal(escapeMarkdownInline(summary), rendered);
        const notes = renderReleaseNotes(
          {
            ...staged,
            tickets: [{ key: 'ALLPOST-1', summary, prIds: [1], bump: 'patch', addedAt: T0.toISOString() }],
          },
          { jiraBaseUrl: 'https://jira.example' },
        );
        assert.equal(
          notes.split('\n')[2],
          `- [ALLPOST-1](https://jira.example/browse/ALLPOST-1): ${rendered} (PR !1)`,
        );
      });
    }
  });
});
