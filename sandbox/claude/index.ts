// Where the `claude` stand-in lives and how the sandbox and the tests script it.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stand-in executable (its folder goes first on the agent's PATH, as `claude`). */
export const CLAUDE_STAND_IN_PATH = fileURLToPath(new URL('./claude', import.meta.url));

/** The stand-in's own variables (scenario, invocation log): set by `scriptedClaude`, never by the runner. */
export const CLAUDE_SIM_ENV_NAMES: readonly string[] = ['CLAUDE_SIM_SCENARIO', 'CLAUDE_SIM_LOG'];

export interface StandInScript {
  /** A scenario name or the path of a JSON scenario file (CLAUDE_SIM_SCENARIO). */
  scenario?: string;
  /** Where each run appends its JSON line (CLAUDE_SIM_LOG). */
  log?: string;
}

const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A folder holding a `claude` that runs the stand-in with `script` set. The runner gives the CLI an
 * environment built from a fixed allow-list, so the stand-in's settings travel in this wrapper: put
 * `dir` first on PATH (as the agent finds `claude`), or pass `command` to the runner.
 */
export function scriptedClaude(script: StandInScript = {}): { dir: string; command: string } {
  const dir = mkdtempSync(join(tmpdir(), 'claude-stand-in-'));
  const command = join(dir, 'claude');
  const lines = ['#!/bin/sh'];
  if (script.scenario) lines.push(`export CLAUDE_SIM_SCENARIO=${quoted(script.scenario)}`);
  if (script.log) lines.push(`export CLAUDE_SIM_LOG=${quoted(script.log)}`);
  // exec: the stand-in keeps the wrapper's pid, so its parent is whoever started `claude`.
  lines.push(`exec ${quoted(process.execPath)} ${quoted(CLAUDE_STAND_IN_PATH)} "$@"`, '');
  writeFileSync(command, lines.join('\n'));
  chmodSync(command, 0o755);
  return { dir, command };
}
