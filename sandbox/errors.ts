// Coded errors of the sandbox itself (the pipeline runner, the agent pool, the scripted cycle). The
// product's errors stay in core/errors.ts; these say what the local stand-in for Azure DevOps' agent
// or the script could not do, with the identifiers of what failed.

export const SANDBOX_ERROR_CODES = [
  /** A template uses YAML or an expression the runner does not support (it must not guess). */
  'TEMPLATE_UNSUPPORTED',
  /** A template or its parameters are wrong the way Azure DevOps would refuse them. */
  'TEMPLATE_INVALID',
  /** A `$(macro)` or an output reference names nothing the run defines. */
  'VARIABLE_UNDEFINED',
  /** A pipeline step or stage could not run. */
  'RUN_FAILED',
  /** A bounded wait ended without its effect. */
  'WAIT_TIMEOUT',
  /** The run or the cycle was cancelled (Ctrl-C, stop()). */
  'CANCELLED',
  /** A step of the scripted cycle did not see what it expected. */
  'STEP_FAILED',
] as const;

export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

export class SandboxError extends Error {
  override readonly name = 'SandboxError';

  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    readonly fields: Record<string, string | number | boolean | undefined> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSandboxError(error: unknown, code?: SandboxErrorCode): error is SandboxError {
  return error instanceof SandboxError && (code === undefined || error.code === code);
}

/** Polls `check` until it returns a value (not undefined/false); WAIT_TIMEOUT naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw new SandboxError('CANCELLED', `cancelled while waiting for ${what}`);
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new SandboxError('WAIT_TIMEOUT', `timed out after ${options.timeoutMs} ms waiting for ${what}`, {
        what,
        timeoutMs: options.timeoutMs,
      });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
