import type { Summary } from './stats.ts';

export interface Figure {
  group: string;
  name: string;
  unit: 'ms' | 'MB' | 'KiB' | 'count' | 'x';
  summary: Summary;
  /** What it is measured against (Slack's limit, bare Node, the Python agent's way). */
  reference?: { name: string; summary: Summary };
  /** The claim it is held to, e.g. "p99 ≤ 50 ms". */
  target?: string;
  /** Whether the target is met (a figure, not a test). */
  met?: boolean;
  note?: string;
}
