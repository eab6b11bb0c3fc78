// Where the `claude` stand-in lives and which variables script it, for the sandbox and the tests.
import { fileURLToPath } from 'node:url';

/** The executable to set as CLAUDE_COMMAND. */
export const CLAUDE_STAND_IN_PATH = fileURLToPath(new URL('./claude', import.meta.url));

/**
 * The stand-in's own variables (scenario, invocation log). The runner builds the child environment
 * from scratch, so they must be passed explicitly: `createCliClaudeRunner({ passEnv: CLAUDE_SIM_ENV_NAMES })`.
 */
export const CLAUDE_SIM_ENV_NAMES: readonly string[] = ['CLAUDE_SIM_SCENARIO', 'CLAUDE_SIM_LOG'];
