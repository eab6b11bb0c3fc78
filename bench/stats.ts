// Figures from samples: median and spread, percentiles. Benchmarks print figures; they never pass/fail.

export interface Summary {
  runs: number;
  median: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  /** Interquartile range, the spread quoted next to the median. */
  iqr: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  return {
    runs: sorted.length,
    median,
    p50: median,
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    iqr: percentile(sorted, 75) - percentile(sorted, 25),
  };
}

/** Milliseconds since `start` (a performance.now() reading), rounded to 0.01 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
