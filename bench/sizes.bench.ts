// Sizes of what ships: each task bundle (entry and chunks), the function app bundle, the hub page (script, styles, fonts)
// and the vsix, from one `npm run package` build into a temporary folder. Sizes do not vary between
// runs: each figure is one measurement.
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const KiB = 1024;
const MB = 2 ** 20;
const VSIX_LIMIT_MB = 5;

export async function sizesBench(context: BenchContext): Promise<Figure[]> {
  const artifacts = await context.artifacts();
  const kib = (bytes: number) => summarize([round(bytes / KiB, 1)]);
  const figures: Figure[] = artifacts.tasks.map((bundle) => ({
    group: 'sizes',
    name: `${bundle.name.replace(/^task /, '')} task bundle`,
    unit: 'KiB',
    summary: kib(bundle.bytes),
    note: `minified ES modules, every dependency inside; entry ${round((bundle.entryBytes ?? bundle.bytes) / KiB)} KiB, the rest in chunks loaded on first use`,
  }));
  figures.push({
    group: 'sizes',
    name: 'function app bundle',
    unit: 'KiB',
    summary: kib(artifacts.functions.bytes),
    note: 'deployed on its own, not in the vsix',
  });
  for (const bundle of artifacts.hub) {
    figures.push({ group: 'sizes', name: bundle.name, unit: 'KiB', summary: kib(bundle.bytes) });
  }
  const vsixMB = artifacts.vsix.bytes / MB;
  figures.push({
    group: 'sizes',
    name: 'vsix',
    unit: 'MB',
    summary: summarize([round(vsixMB, 2)]),
    target: `≤ ${VSIX_LIMIT_MB} MB`,
    met: vsixMB <= VSIX_LIMIT_MB,
    note: `${artifacts.vsix.bytes} bytes (MB = 2^20 bytes); ${artifacts.tasks.length} tasks and the hub`,
  });
  return figures;
}
