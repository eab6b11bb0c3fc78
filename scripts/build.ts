// Bundles every deployable into one CommonJS file with esbuild:
//   tasks/<Name>/index.ts  → dist/tasks/<Name>/index.cjs (+ task.json, icon.png)
//   functions/index.ts     → dist/functions/index.cjs    (+ host.json, package.json)
// and prints each bundle's size. Fails on any esbuild error.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');

// ESM-only dependencies read import.meta.url; in a CommonJS bundle it must come from __filename.
const commonJsShim: BuildOptions = {
  format: 'cjs',
  platform: 'node',
  bundle: true,
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'import.meta.url': '__bundleImportMetaUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: 'const __bundleImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
};

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
}

export function taskNames(): string[] {
  const tasksDir = join(root, 'tasks');
  if (!existsSync(tasksDir)) return [];
  return readdirSync(tasksDir)
    .filter((name) => existsSync(join(tasksDir, name, 'task.json')) && existsSync(join(tasksDir, name, 'index.ts')))
    .sort();
}

export async function buildTasks(outRoot = join(dist, 'tasks')): Promise<BuiltBundle[]> {
  const built: BuiltBundle[] = [];
  for (const name of taskNames()) {
    const out = join(outRoot, name);
    mkdirSync(out, { recursive: true });
    const file = join(out, 'index.cjs');
    await build({ ...commonJsShim, entryPoints: [join(root, 'tasks', name, 'index.ts')], outfile: file, target: 'node24' });
    copyFileSync(join(root, 'tasks', name, 'task.json'), join(out, 'task.json'));
    for (const extra of ['icon.png']) {
      if (existsSync(join(root, 'tasks', name, extra))) copyFileSync(join(root, 'tasks', name, extra), join(out, extra));
    }
    built.push({ name: `task ${name}`, file, bytes: statSync(file).size });
  }
  return built;
}

export async function buildFunctions(): Promise<BuiltBundle[]> {
  const entry = join(root, 'functions', 'index.ts');
  if (!existsSync(entry)) return [];
  const out = join(dist, 'functions');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'index.cjs');
  await build({ ...commonJsShim, entryPoints: [entry], outfile: file, target: 'node22', external: ['@azure/functions-core'] });
  copyFileSync(join(root, 'functions', 'host.json'), join(out, 'host.json'));
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'release-agent-functions', private: true, main: 'index.cjs' }, null, 2)}\n`,
  );
  return [{ name: 'function app', file, bytes: statSync(file).size }];
}

/** The hub page for the browser: hub/src/index.tsx → dist/hub/hub.js, with its page and manifest fragment. */
export async function buildHub(options: { sdk?: 'azure-devops' | 'standalone' } = {}): Promise<BuiltBundle[]> {
  const entry = join(root, 'hub', 'src', 'index.tsx');
  if (!existsSync(entry)) return [];
  const out = join(dist, 'hub');
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
    loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.png': 'file', '.svg': 'file' },
    define: { 'process.env.NODE_ENV': '"production"', HUB_SDK: JSON.stringify(options.sdk ?? 'azure-devops') },
  });
  for (const name of ['index.html']) copyFileSync(join(root, 'hub', name), join(out, name));
  if (existsSync(join(root, 'hub', 'manifest.json'))) copyFileSync(join(root, 'hub', 'manifest.json'), join(out, 'manifest.hub.json'));
  return [{ name: 'hub', file, bytes: statSync(file).size }];
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  rmSync(dist, { recursive: true, force: true });
  const bundles = [...(await buildTasks()), ...(await buildFunctions()), ...(await buildHub())];
  for (const bundle of bundles) {
    console.log(`${bundle.name.padEnd(32)} ${formatBytes(bundle.bytes).padStart(10)}  ${relative(root, bundle.file)}`);
  }
  console.log(`built ${bundles.length} bundle(s)`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
