// What every benchmark group gets from the harness: one Azurite and one set of built artifacts for the
// whole run (started or built on first use, so `--only` pays only for what it needs), and a progress line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAzurite, startAzurite } from '../sandbox/azurite.ts';
import type { LatencyProfileName } from '../sandbox/sim/latency.ts';
import { type BuiltBundle, buildFunctions } from '../scripts/build.ts';
import { packageExtension } from '../scripts/package.ts';
import type { Figure } from './types.ts';

export interface Artifacts {
  /** The packing root (a temporary folder, never the project's dist/). */
  root: string;
  /** Folder holding <Task>/index.mjs for every task. */
  tasksDir: string;
  tasks: BuiltBundle[];
  hub: BuiltBundle[];
  functions: BuiltBundle;
  vsix: { file: string; bytes: number };
}

export interface BenchContext {
  azurite(): Promise<RunningAzurite>;
  artifacts(): Promise<Artifacts>;
  progress(message: string): void;
  /** The simulators' latency profile the groups start their stacks with (`--latency`, default none). */
  latency: LatencyProfileName;
}

export interface BenchGroup {
  name: string;
  run(context: BenchContext): Promise<Figure[]>;
}

export interface Harness extends BenchContext {
  stop(): Promise<void>;
}

export function createHarness(
  progress: (message: string) => void,
  latency: LatencyProfileName = 'none',
): Harness {
  let azurite: Promise<RunningAzurite> | undefined;
  let artifacts: Promise<Artifacts> | undefined;
  let root: string | undefined;
  return {
    progress,
    latency,
    azurite() {
      azurite ??= startAzurite();
      return azurite;
    },
    artifacts() {
      artifacts ??= (async () => {
        root = mkdtempSync(join(tmpdir(), 'bench-artifacts-'));
        progress(
          'packaging (tasks, hub, vsix with tfx) and bundling the function app into a temporary folder',
        );
        const packaged = await packageExtension({ root });
        const functionsDir = join(root, 'dist', 'functions');
        const [functions] = await buildFunctions(functionsDir);
        if (!functions) throw new Error('functions/index.ts was not bundled');
        // The Functions runtime provides @azure/functions-core; a stand-in lets the entry register
        // its functions as it does there, instead of switching to its "test mode".
        const core = join(functionsDir, 'node_modules', '@azure', 'functions-core');
        mkdirSync(core, { recursive: true });
        writeFileSync(
          join(core, 'index.js'),
          // Counts registrations so the benchmark can say how many functions the entry registered.
          'module.exports = { registerFunction() { globalThis.__registered = (globalThis.__registered || 0) + 1; return { dispose() {} }; }, setProgrammingModel() {}, log() {} };\n',
        );
        writeFileSync(
          join(core, 'package.json'),
          '{ "name": "@azure/functions-core", "main": "index.js" }\n',
        );
        return {
          root,
          tasksDir: join(root, 'dist', 'tasks'),
          tasks: packaged.bundles.filter((bundle) => bundle.name.startsWith('task ')),
          hub: packaged.bundles.filter((bundle) => bundle.name.startsWith('hub')),
          functions,
          vsix: { file: packaged.vsix, bytes: packaged.vsixBytes },
        };
      })();
      return artifacts;
    },
    async stop() {
      if (azurite) await (await azurite.catch(() => undefined))?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    },
  };
}
