// What every command-line entry shares: `--help` answered on stdout with exit 0, and a failure told in
// one line that names what is wrong and what to do (a port in use, a host that cannot be reached, a
// missing or invalid setting), never a stack trace.
import { errorMessage, isReleaseAgentError } from '../core/errors.ts';

/** Prints `usage` and exits 0 when the arguments ask for help. */
export function answerHelp(argv: readonly string[], usage: string): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  process.stdout.write(`${usage.trimEnd()}\n`);
  process.exit(0);
}

interface SystemError {
  code?: string;
  port?: number;
  address?: string;
  hostname?: string;
  cause?: unknown;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/** The system error behind `error` (fetch wraps it in `cause`), if any. */
function systemError(error: unknown): SystemError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as SystemError;
    if (typeof candidate.code === 'string' && /^E[A-Z_]+$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

/** One line for a failure: what is wrong and what to do (`reach`: the URL a network failure was about). */
export function describeFailure(error: unknown, reach?: { url: string; setting: string }): string {
  const system = systemError(error);
  if (system?.code === 'EADDRINUSE')
    return `port ${system.port ?? '?'} is in use: stop what holds it, or choose another port (PORT=<port>)`;
  if (system?.code && UNREACHABLE.has(system.code)) {
    const where = system.hostname ?? (system.address ? `${system.address}:${system.port ?? ''}` : 'a host');
    return `cannot reach ${where} (${system.code}): check the URL in its setting and that the service is up`;
  }
  const code = isReleaseAgentError(error) ? `[${error.code}] ` : '';
  const line = `${code}${errorMessage(error).split('\n')[0]}`;
  const network =
    isReleaseAgentError(error) && /^SERVICE_(NETWORK|TIMEOUT|RETRIES_EXHAUSTED)$/.test(error.code);
  return network && reach ? `${line}; is ${reach.url} (${reach.setting}) right and reachable?` : line;
}

/** Runs a command's main: its exit code, or one line on stderr and exit 1 when it throws. */
export async function runCommand(main: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exitCode = 1;
  }
}
