// Bundles every deployable with esbuild:
//   tasks/<Name>/index.ts  → dist/tasks/<Name>/index.mjs and its chunk-*.mjs (+ task.json, icon.png)
//   functions/index.ts     → dist/functions/index.cjs    (+ host.json, package.json)
//   hub/src/index.tsx      → dist/hub/hub.js + hub.css   (+ index.html, fonts, manifest.hub.json)
// and prints each bundle's size. Fails on any esbuild error.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin, stop } from 'esbuild';
import { answerHelp, runCommand } from './cli.ts';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');

/**
 * zod (ours and jira.js's) is imported as the whole `z` namespace, which re-exports every one of its
 * ~50 message locales: 258 KiB of each bundle, compiled at every task start. Messages are English, so
 * the locales namespace keeps `en` only (the one zod configures itself with).
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * A task's entry reads its inputs with zod/mini (14–44 KiB of zod's core, tree-shaken). jira.js, in a
 * chunk loaded on first use, imports the whole `zod`; esbuild would put the core modules both use in
 * one shared chunk that the entry imports at once, namespace and all (165 KiB compiled at every
 * start, Jira or not). zod/mini and what it imports are loaded as modules of their own instead: a
 * task that calls Jira holds two copies of zod's core, one in the entry and one in the Jira chunk.
 */
export const zodMiniApart: Plugin = {
  name: 'zod-mini-apart',
  setup(build) {
    const namespace = 'zod-mini-apart';
    build.onResolve({ filter: /^zod\/mini$/ }, async (args) => {
      // build.resolve runs this hook again: the mark lets that call through to esbuild's own resolution.
      if (args.pluginData === namespace) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: namespace,
      });
      return { path: resolved.path, namespace };
    });
    build.onResolve({ filter: /.*/, namespace }, (args) => {
      const path = args.path === '../locales/index.js' ? join('..', 'locales', 'en-only') : args.path;
      return { path: resolve(args.resolveDir, path), namespace };
    });
    build.onLoad({ filter: /.*/, namespace }, (args) =>
      args.path.endsWith('en-only')
        ? {
            contents: 'export { default as en } from "./en.js";',
            resolveDir: dirname(args.path),
            loader: 'js',
          }
        : { contents: readFileSync(args.path, 'utf8'), resolveDir: dirname(args.path), loader: 'js' },
    );
  },
};

/** What every Node bundle shares: one minified file set with every dependency inside. */
const nodeBundle: BuildOptions = {
  platform: 'node',
  bundle: true,
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
};

// ESM-only dependencies read import.meta.url; in a CommonJS bundle it must come from __filename.
export const commonJsShim: BuildOptions = {
  ...nodeBundle,
  format: 'cjs',
  define: { 'import.meta.url': '__bundleImportMetaUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: 'const __bundleImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [zodEnglishOnly],
};

export interface BuiltBundle {
  name: string;
  file: string;
  /** Every file of the bundle (a task's chunks included). */
  bytes: number;
  /** A task's entry alone: what it compiles before its first line. */
  entryBytes?: number;
}

export function taskNames(): string[] {
  const tasksDir = join(root, 'tasks');
  if (!existsSync(tasksDir)) return [];
  return readdirSync(tasksDir)
    .filter(
      (name) => existsSync(join(tasksDir, name, 'task.json')) && existsSync(join(tasksDir, name, 'index.ts')),
    )
    .sort();
}

/**
 * Tasks are ES modules split at their dynamic imports: the Jira, Slack Web API, Table Storage and
 * Claude CLI clients are chunk files beside index.mjs that a run compiles only when it first calls
 * them (V8 compiles a bundle's top level eagerly: one 1 MB file cost a task ~55 ms before its first
 * line). Modules written as CommonJS (azure-pipelines-task-lib among them) still call require and read
 * __dirname, which every file gets from its banner.
 */
export const taskModuleOptions: BuildOptions = {
  ...nodeBundle,
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  banner: {
    js: [
      'import{createRequire as __bundleCreateRequire}from"node:module";',
      'import{fileURLToPath as __bundleFileURLToPath}from"node:url";',
      'import{dirname as __bundleDirname}from"node:path";',
      'const require=__bundleCreateRequire(import.meta.url);',
      'const __filename=__bundleFileURLToPath(import.meta.url);',
      'const __dirname=__bundleDirname(__filename);',
    ].join(''),
  },
  plugins: [zodMiniApart, zodEnglishOnly],
};

/** The file the agent runs (task.json's execution target); its chunks sit beside it. */
export const TASK_ENTRY = 'index.mjs';

/** Bundles every task, or only `only` (tests build just the tasks they run). */
export async function buildTasks(
  outRoot = join(dist, 'tasks'),
  only?: readonly string[],
): Promise<BuiltBundle[]> {
  const built: BuiltBundle[] = [];
  for (const name of taskNames().filter((task) => !only || only.includes(task))) {
    const out = join(outRoot, name);
    // Built beside it, then swapped in whole: a run still going from the previous build, or a second
    // build at once, never sees one build's entry with another's chunks (their names are content
    // hashes, so a rebuild must not leave the previous build's beside them either).
    const partial = join(outRoot, `.${name}.${process.pid}.partial`);
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const { metafile } = await build({
      ...taskModuleOptions,
      entryPoints: { index: join(root, 'tasks', name, 'index.ts') },
      outdir: partial,
      // The Node24 handler (execution in task.json) runs them.
      target: 'node24',
      metafile: true,
    });
    removeUnreachableChunks(metafile, join(partial, TASK_ENTRY));
    copyFileSync(join(root, 'tasks', name, 'task.json'), join(partial, 'task.json'));
    for (const extra of ['icon.png']) {
      if (existsSync(join(root, 'tasks', name, extra)))
        copyFileSync(join(root, 'tasks', name, extra), join(partial, extra));
    }
    rmSync(out, { recursive: true, force: true });
    renameSync(partial, out);
    const file = join(out, TASK_ENTRY);
    const modules = readdirSync(out).filter((entry) => entry.endsWith('.mjs'));
    built.push({
      name: `task ${name}`,
      file,
      bytes: modules.reduce((sum, entry) => sum + statSync(join(out, entry)).size, 0),
      entryBytes: statSync(file).size,
    });
  }
  return built;
}

/**
 * esbuild writes a chunk for every import() it sees, including those in functions tree-shaking dropped
 * (Notify never calls Jira, yet the shared services module names it): keep only the files the entry
 * can reach through its static and dynamic imports.
 */
function removeUnreachableChunks(metafile: Metafile, entry: string): void {
  const outputs = new Map(Object.entries(metafile.outputs).map(([path, output]) => [resolve(path), output]));
  const reachable = new Set<string>();
  const visit = (path: string) => {
    if (reachable.has(path)) return;
    reachable.add(path);
    for (const imported of outputs.get(path)?.imports ?? []) {
      if (!imported.external) visit(resolve(imported.path));
    }
  };
  visit(resolve(entry));
  for (const path of outputs.keys()) if (!reachable.has(path)) rmSync(path);
}

/** Bundles the function app into `out` (default dist/functions; the benchmarks build elsewhere). */
export async function buildFunctions(out = join(dist, 'functions')): Promise<BuiltBundle[]> {
  const entry = join(root, 'functions', 'index.ts');
  if (!existsSync(entry)) return [];
  mkdirSync(out, { recursive: true });
  const file = join(out, 'index.cjs');
  await build({
    ...commonJsShim,
    entryPoints: [entry],
    outfile: file,
    target: 'node22',
    external: ['@azure/functions-core'],
  });
  copyFileSync(join(root, 'functions', 'host.json'), join(out, 'host.json'));
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'release-agent-functions', private: true, main: 'index.cjs' }, null, 2)}\n`,
  );
  return [{ name: 'function app', file, bytes: statSync(file).size }];
}

export type HubSdkKind = 'azure-devops' | 'standalone';

export interface HubBuildOptions {
  /** Which SDK the page talks to (the HUB_SDK define): Azure DevOps (default) or the standalone stand-in. */
  sdk?: HubSdkKind;
  /** Where to write the page; default dist/hub (the vsix's). The standalone page goes elsewhere, e.g. dist/hub-standalone. */
  outDir?: string;
}

/**
 * The hub page for the browser: hub/src/index.tsx → <outDir>/hub.js (an IIFE) and hub.css (every
 * style sheet the components import, azure-devops-ui's included), the fonts those reference under
 * assets/, index.html, and for the Azure DevOps build the manifest fragment manifest.hub.json.
 */
export async function buildHub(options: HubBuildOptions = {}): Promise<BuiltBundle[]> {
  const entry = join(root, 'hub', 'src', 'index.tsx');
  if (!existsSync(entry)) return [];
  const sdk = options.sdk ?? 'azure-devops';
  const out = options.outDir ?? join(dist, 'hub');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const file = join(out, 'hub.js');
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    jsx: 'transform',
    assetNames: 'assets/[name]-[hash]',
    loader: {
      '.css': 'css',
      '.woff': 'file',
      '.woff2': 'file',
      '.ttf': 'file',
      '.png': 'file',
      '.svg': 'file',
    },
    define: { 'process.env.NODE_ENV': '"production"', HUB_SDK: JSON.stringify(sdk) },
  });
  copyFileSync(join(root, 'hub', 'index.html'), join(out, 'index.html'));
  if (sdk === 'azure-devops' && existsSync(join(root, 'hub', 'manifest.json'))) {
    copyFileSync(join(root, 'hub', 'manifest.json'), join(out, 'manifest.hub.json'));
  }
  const built: BuiltBundle[] = [{ name: `hub (${sdk})`, file, bytes: statSync(file).size }];
  const css = join(out, 'hub.css');
  if (existsSync(css)) built.push({ name: `hub styles (${sdk})`, file: css, bytes: statSync(css).size });
  const assets = join(out, 'assets');
  if (existsSync(assets)) {
    const bytes = readdirSync(assets).reduce((sum, name) => sum + statSync(join(assets, name)).size, 0);
    built.push({ name: `hub fonts (${sdk})`, file: assets, bytes });
  }
  return built;
}

/** Ends esbuild's background service, so a long-running caller (the sandbox) leaves no child behind. */
export async function stopBuildService(): Promise<void> {
  await stop();
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(2)} MiB`
    : `${(bytes / 1024).toFixed(1)} KiB`;
}

const USAGE = `usage: npm run build
Bundles each deployable with esbuild into dist/: the seven tasks, the function app, the hub (and its
standalone page for the sandbox). Prints each bundle and its size as it is built.`;

async function main(): Promise<number> {
  rmSync(dist, { recursive: true, force: true });
  const startedAt = Date.now();
  const phases: [string, () => Promise<BuiltBundle[]>][] = [
    ['the task bundles', () => buildTasks()],
    ['the function app', () => buildFunctions()],
    ['the hub', () => buildHub()],
    // The same page with the SDK stand-in, for the sandbox and development (sandbox/hub-server.ts).
    ['the standalone hub page', () => buildHub({ sdk: 'standalone', outDir: join(dist, 'hub-standalone') })],
  ];
  let count = 0;
  for (const [what, build] of phases) {
    const phaseStart = Date.now();
    console.log(`building ${what}…`);
    const bundles = await build();
    for (const bundle of bundles) {
      console.log(
        `  ${bundle.name.padEnd(30)} ${formatBytes(bundle.bytes).padStart(10)}  ${relative(root, bundle.file)}`,
      );
    }
    console.log(`  (${((Date.now() - phaseStart) / 1000).toFixed(1)} s)`);
    count += bundles.length;
  }
  console.log(`built ${count} bundle(s) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  answerHelp(process.argv.slice(2), USAGE);
  await runCommand(main);
}
