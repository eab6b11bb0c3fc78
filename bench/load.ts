// Timing HTTP acknowledgements: one request at a time, or bursts of N sent at once. Each request is
// fully prepared (body built and signed) before its clock starts; the clock stops at the status line.

export interface Timed {
  ms: number;
  status: number;
}

export interface PreparedRequest {
  url: string;
  init: RequestInit;
}

export async function timeRequest(request: PreparedRequest): Promise<Timed> {
  const start = performance.now();
  const response = await fetch(request.url, request.init);
  const ms = Math.round((performance.now() - start) * 100) / 100;
  // Drained after the clock stopped, so the connection goes back to the pool.
  const text = await response.text();
  if (process.env.BENCH_DEBUG && response.status >= 300) console.error(response.status, text.slice(0, 300));
  return { ms, status: response.status };
}

export interface LoadResult {
  samples: number[];
  /** Answers that were not 2xx, by status. */
  failures: Record<number, number>;
  /** Wall time of each burst. */
  wallMs: number[];
}

function collect(into: LoadResult, timed: Timed): void {
  into.samples.push(timed.ms);
  if (timed.status < 200 || timed.status > 299)
    into.failures[timed.status] = (into.failures[timed.status] ?? 0) + 1;
}

/** `count` requests one after another; `between` runs after each (unmeasured), e.g. to let the host go quiet. */
export async function oneAtATime(
  count: number,
  prepare: (index: number) => PreparedRequest,
  between: () => Promise<unknown> = async () => undefined,
): Promise<LoadResult> {
  const result: LoadResult = { samples: [], failures: {}, wallMs: [] };
  for (let index = 0; index < count; index++) {
    collect(result, await timeRequest(prepare(index)));
    await between();
  }
  return result;
}

export interface BurstHooks {
  /** Runs just before each burst is sent (unmeasured). */
  before?(round: number): void | Promise<void>;
  /** Runs as soon as a burst's last answer arrived (unmeasured). */
  after?(round: number): void | Promise<void>;
}

/** `rounds` bursts of `size` requests sent at once. */
export async function bursts(
  rounds: number,
  size: number,
  prepare: (index: number) => PreparedRequest,
  hooks: BurstHooks = {},
): Promise<LoadResult> {
  const result: LoadResult = { samples: [], failures: {}, wallMs: [] };
  for (let round = 0; round < rounds; round++) {
    const requests = Array.from({ length: size }, (_, index) => prepare(round * size + index));
    await hooks.before?.(round);
    const start = performance.now();
    const answers = await Promise.all(requests.map((request) => timeRequest(request)));
    result.wallMs.push(Math.round((performance.now() - start) * 100) / 100);
    await hooks.after?.(round);
    for (const timed of answers) collect(result, timed);
  }
  return result;
}

export function failureNote(result: LoadResult): string | undefined {
  const entries = Object.entries(result.failures);
  return entries.length === 0
    ? undefined
    : `non-2xx answers: ${entries.map(([status, n]) => `${n}× ${status}`).join(', ')}`;
}
