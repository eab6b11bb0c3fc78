// Store: staging update latency for one repo at 1 and at 50 concurrent writers, and a 1,000-ticket
// release read, on Azurite (Table Storage protocol, loopback).
import { addTicketToStaging } from '../core/releases.ts';
import { createTableStore } from '../adapters/store/table-store.ts';
import type { Store } from '../adapters/store/store.ts';
import type { RunningAzurite } from '../sandbox/azurite.ts';
import { elapsedMs, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const FIRST = '1.0.0';

async function addTicket(store: Store, repo: string, key: string, prId: number): Promise<number> {
  const start = performance.now();
  await store.staging.update(
    repo,
    (current) =>
      addTicketToStaging(current, {
        repo,
        ticket: { key, summary: `Ticket ${key}` },
        prId,
        bump: 'patch',
        firstRelease: FIRST,
        now: new Date(),
      }).staging,
  );
  return elapsedMs(start);
}

export async function storeBench(azurite: RunningAzurite): Promise<Figure[]> {
  const store = createTableStore({
    connectionString: azurite.connectionString,
    tablePrefix: `Bench${Date.now() % 100000}`,
  });
  await addTicket(store, 'warmup', 'WARM-1', 1);

  const sequential: number[] = [];
  for (let i = 0; i < 40; i++) sequential.push(await addTicket(store, 'solo', `SOLO-${i + 1}`, i + 1));

  const concurrent: number[] = [];
  const rounds = 5;
  const wallTimes: number[] = [];
  let lost = 0;
  for (let round = 0; round < rounds; round++) {
    const repo = `contended-${round}`;
    const start = performance.now();
    concurrent.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, (_, i) => addTicket(store, repo, `RACE-${i + 1}`, i + 1)),
      )),
    );
    wallTimes.push(elapsedMs(start));
    lost += 50 - ((await store.staging.get(repo))?.tickets.length ?? 0);
  }

  // The big release is written in one go: the figure is about reading it back.
  const now = new Date().toISOString();
  await store.staging.update('big', () => ({
    repo: 'big',
    version: '1.0.0',
    startedAt: now,
    updatedAt: now,
    tickets: Array.from({ length: 1000 }, (_, n) => ({
      key: `BIG-${n + 1}`,
      summary: 'A ticket summary of some two hundred characters '.repeat(5).slice(0, 200),
      prIds: [n + 1, n + 1001],
      bump: 'patch' as const,
      addedAt: now,
    })),
  }));
  const reads: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const release = await store.staging.get('big');
    reads.push(elapsedMs(start));
    if (release?.tickets.length !== 1000) throw new Error('the 1,000-ticket release did not round-trip');
  }

  return [
    { group: 'store', name: 'staging update, 1 writer', unit: 'ms', summary: summarize(sequential) },
    {
      group: 'store',
      name: 'staging update, 50 concurrent writers (per write)',
      unit: 'ms',
      summary: summarize(concurrent),
    },
    {
      group: 'store',
      name: '50 concurrent writers, all landed (wall)',
      unit: 'ms',
      summary: summarize(wallTimes),
      note: `${lost} tickets lost over ${rounds} rounds`,
    },
    { group: 'store', name: '1,000-ticket staging release read', unit: 'ms', summary: summarize(reads) },
  ];
}
