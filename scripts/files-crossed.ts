// How many product files a path crosses: the files esbuild takes in when it bundles the modules the
// path's code lives in (npm packages, adapters/ and the composition root left out: they are the same
// for every path). Two views per path: its own modules, and everything its entry triggers load (the
// worker and the job API dispatch every kind of message or step, so they load what other paths use).
//   node --import tsx scripts/files-crossed.ts [repository root] [--list]
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const PATHS: Record<string, { own: string[]; triggers: string[] }> = {
  'gate 1 click (ack, checks, effect)': {
    own: ['functions/slack-interactions.ts', 'flows/decide.ts', 'flows/decision-effects.ts'],
    triggers: ['functions/slack-interactions.ts', 'functions/decision-worker.ts'],
  },
  'StageRelease run (task, flow)': {
    own: ['tasks/StageRelease/index.ts', 'flows/stage-release.ts'],
    triggers: ['tasks/StageRelease/index.ts', 'functions/api-jobs.ts'],
  },
};

async function productFiles(root: string, entries: string[]): Promise<string[]> {
  const result = await build({
    entryPoints: entries.map((entry) => join(root, entry)).filter((entry) => existsSync(entry)),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: join(root, '.files-crossed'),
    logLevel: 'silent',
    plugins: [
      {
        name: 'leave-out-adapters',
        setup(plugin) {
          plugin.onResolve({ filter: /adapters\/|\/services(\.ts)?$/ }, (args) =>
            args.kind === 'entry-point' ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes('node_modules'))
    .map((file) => relative(root, file));
}

const args = process.argv.slice(2);
const root = args.find((arg) => !arg.startsWith('--')) ?? join(import.meta.dirname, '..');
for (const [name, path] of Object.entries(PATHS)) {
  const own = await productFiles(root, path.own);
  const loaded = await productFiles(root, path.triggers);
  console.log(`${name}: ${own.length} files of its own; its triggers load ${loaded.length}`);
  if (args.includes('--list')) console.log(own.map((file) => `  ${file}`).join('\n'));
}
