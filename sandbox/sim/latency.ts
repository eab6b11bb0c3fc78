// Latency profiles of the simulators: how long the real service takes to answer, per service and
// operation kind, as a log-normal distribution given by its median and p95 (docs/sandbox.md cites the
// figures). `none` answers at once (tests, the default); `real` makes the sandbox and the bench run at
// the speed a team would see. Samples come from a seeded generator so a run can be repeated.

export const LATENCY_PROFILE_NAMES = ['none', 'real'] as const;
export type LatencyProfileName = (typeof LATENCY_PROFILE_NAMES)[number];

/** The simulators a profile covers, by their SimServer name (Azure Table Storage is Azurite, left as is). */
export type SimulatedService = 'azure-devops' | 'jira' | 'slack';

/** GET/HEAD are reads; every other method is a write. */
export type OperationKind = 'read' | 'write';

export interface LatencyDistribution {
  medianMs: number;
  p95Ms: number;
}

export type LatencyProfile = Partial<Record<SimulatedService, Record<OperationKind, LatencyDistribution>>>;

export const LATENCY_PROFILES: Readonly<Record<LatencyProfileName, LatencyProfile>> = {
  none: {},
  // Conservative figures for a client in the same region as the service; see docs/sandbox.md
  // "Latency profiles" for where each comes from.
  real: {
    'azure-devops': {
      read: { medianMs: 150, p95Ms: 500 },
      write: { medianMs: 300, p95Ms: 1000 },
    },
    jira: {
      read: { medianMs: 250, p95Ms: 800 },
      write: { medianMs: 450, p95Ms: 1200 },
    },
    slack: {
      read: { medianMs: 120, p95Ms: 400 },
      write: { medianMs: 200, p95Ms: 600 },
    },
  },
};

/** Reads a profile name (`--latency`); anything else is refused with the names that exist. */
export function parseLatencyProfile(value: string | undefined): LatencyProfileName {
  const name = (value ?? 'none').trim();
  if ((LATENCY_PROFILE_NAMES as readonly string[]).includes(name)) return name as LatencyProfileName;
  throw new Error(`unknown latency profile "${name}"; the profiles are ${LATENCY_PROFILE_NAMES.join(', ')}`);
}

/** mulberry32: small, fast and good enough to spread delays; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/** One log-normal sample: median m and p95 p give mu = ln m, sigma = ln(p / m) / z95. */
export function sampleLatency(distribution: LatencyDistribution, random: () => number): number {
  const mu = Math.log(distribution.medianMs);
  const sigma = Math.log(distribution.p95Ms / distribution.medianMs) / Z95;
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - random();
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.exp(mu + sigma * z);
}

export function operationKind(method: string): OperationKind {
  const upper = method.toUpperCase();
  return upper === 'GET' || upper === 'HEAD' ? 'read' : 'write';
}

/** What a simulator asks before answering a request: how long to wait, in ms. */
export type LatencySampler = (request: { method: string; operation: string }) => number;

/**
 * The sampler of one service under a profile, or undefined when the profile adds nothing to it.
 * Slack's Web API is POST throughout: its methods that only read (`*.list`, `*.info`, `*.history`,
 * `auth.test` …) count as reads.
 */
export function latencySampler(
  profile: LatencyProfile,
  service: SimulatedService,
  seed = 1,
): LatencySampler | undefined {
  const figures = profile[service];
  if (!figures) return undefined;
  const random = seededRandom(seed);
  return ({ method, operation }) => {
    const kind =
      service === 'slack' && /\.(list|info|history|replies|test|lookupByEmail)$/.test(operation)
        ? 'read'
        : operationKind(method);
    return sampleLatency(figures[kind], random);
  };
}
