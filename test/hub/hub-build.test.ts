// The hub's build output and its place in the vsix: hub.js, hub.css with every font it references,
// index.html, and the manifest fragment's hub contribution in the Pipelines hub group.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildHub } from '../../scripts/build.ts';
import { readZip } from '../support/zip.ts';

interface HubContribution {
  id: string;
  type: string;
  targets: string[];
  properties: { name: string; uri: string };
}

interface Fragment {
  contributions: HubContribution[];
  files: { path: string; addressable?: boolean }[];
}

/** The entries of a vsix (a zip), by name. */
function vsixEntries(file: string): Map<string, () => Buffer> {
  return new Map(readZip(readFileSync(file)).map((entry) => [entry.name, () => entry.read()]));
}

const projectRoot = resolve(import.meta.dirname, '..', '..');

/**
 * `tfx extension create` over the extension manifest and the hub's fragment only, the way
 * scripts/package.ts runs it (fragment `files` made absolute, any warning fails), so this test does
 * not depend on the tasks packed beside the hub.
 */
async function packHub(root: string): Promise<string> {
  for (const folder of ['images', 'docs'])
    cpSync(join(projectRoot, folder), join(root, folder), { recursive: true });
  cpSync(join(projectRoot, 'vss-extension.json'), join(root, 'vss-extension.json'));
  const dist = join(root, 'dist');
  await buildHub({ outDir: join(dist, 'hub') });
  const fragment = JSON.parse(readFileSync(join(dist, 'hub', 'manifest.hub.json'), 'utf8')) as Fragment;
  const absolute = {
    ...fragment,
    files: fragment.files.map((file) => ({ ...file, path: resolve(root, file.path) })),
  };
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'manifest.hub.json'), JSON.stringify(absolute));
  const vsix = join(dist, 'hub-test.vsix');
  const tfx = join(projectRoot, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
  const manifests = [join(root, 'vss-extension.json'), join(dist, 'manifest.hub.json')];
  const run = spawnSync(
    process.execPath,
    [
      tfx,
      'extension',
      'create',
      '--root',
      root,
      '--manifests',
      ...manifests,
      '--output-path',
      vsix,
      '--no-prompt',
      '--json',
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, TFX_TRACE: '', FORCE_COLOR: '0', NO_COLOR: '1' } },
  );
  const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
  assert.equal(run.status, 0, `tfx failed: ${output.slice(0, 2000)}`);
  assert.deepEqual(
    output.split('\n').filter((line) => /warn/i.test(line)),
    [],
    'tfx warned',
  );
  return vsix;
}

describe('hub build and packaging', function () {
  this.timeout(60_000);
  const temp: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temp.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

  it('builds hub.js, hub.css with its fonts, index.html and the manifest fragment', async () => {
    const out = tempDir('hub-build-');
    const built = await buildHub({ outDir: out });
    assert.deepEqual(
      built.map((bundle) => bundle.name),
      ['hub (azure-devops)', 'hub styles (azure-devops)', 'hub fonts (azure-devops)'],
    );
    for (const name of ['hub.js', 'hub.css', 'index.html', 'manifest.hub.json'])
      assert.ok(existsSync(join(out, name)), name);

    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /<link rel="stylesheet" href="hub\.css" \/>/);
    assert.match(html, /<script src="hub\.js"><\/script>/);
    assert.match(html, /<div id="root"><\/div>/);

    // Every url() of the style sheet is bundled next to it (the icon fonts azure-devops-ui needs).
    const css = readFileSync(join(out, 'hub.css'), 'utf8');
    const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)]
      .map((match) => match[1]!)
      .filter((url) => !url.startsWith('data:'));
    assert.ok(urls.length >= 3, `fonts referenced: ${urls.join(', ')}`);
    for (const url of urls) assert.ok(existsSync(join(out, url)), `${url} is in the build`);
    assert.match(css, /\.bolt-button/, 'azure-devops-ui styles are in hub.css');
    assert.match(css, /\.ra-decision-facts/, 'the hub’s own styles are in hub.css');

    const fragment = JSON.parse(readFileSync(join(out, 'manifest.hub.json'), 'utf8')) as Fragment;
    assert.deepEqual(
      fragment.contributions.map((contribution) => [
        contribution.type,
        contribution.targets,
        contribution.properties.name,
        contribution.properties.uri,
      ]),
      [
        [
          'ms.vss-web.hub',
          ['ms.vss-build-web.build-release-hub-group'],
          'Release Agent',
          'dist/hub/index.html',
        ],
      ],
    );
    assert.deepEqual(fragment.files, [{ path: 'dist/hub', addressable: true }]);
  });

  it('puts only one SDK in each build: the real one for Azure DevOps, the stand-in for the sandbox', async () => {
    const real = tempDir('hub-real-');
    const standalone = tempDir('hub-standalone-');
    await buildHub({ outDir: real });
    await buildHub({ sdk: 'standalone', outDir: standalone });
    const realJs = readFileSync(join(real, 'hub.js'), 'utf8');
    const standaloneJs = readFileSync(join(standalone, 'hub.js'), 'utf8');
    assert.ok(
      realJs.includes('ms.vss-features.extension-data-service'),
      'the real SDK keeps settings in the extension data service',
    );
    assert.ok(!realJs.includes('__RELEASE_AGENT_HUB__'), 'no stand-in in the Azure DevOps build');
    assert.ok(standaloneJs.includes('__RELEASE_AGENT_HUB__'), 'the stand-in reads the page server’s config');
    assert.ok(
      !standaloneJs.includes('ms.vss-features.extension-data-service'),
      'no Azure DevOps SDK in the standalone build',
    );
    assert.ok(!existsSync(join(standalone, 'manifest.hub.json')), 'the standalone page is not packaged');
  });

  it('packs the hub into a vsix with its contribution (tfx extension create)', async () => {
    const entries = vsixEntries(await packHub(tempDir('hub-vsix-')));
    for (const name of ['dist/hub/hub.js', 'dist/hub/hub.css', 'dist/hub/index.html'])
      assert.ok(entries.has(name), `${name} is in the vsix`);
    const fonts = [...entries.keys()].filter((name) => name.startsWith('dist/hub/assets/'));
    assert.ok(
      fonts.some((name) => name.endsWith('.woff')) && fonts.some((name) => name.endsWith('.woff2')),
      fonts.join(', '),
    );
    const manifest = JSON.parse(entries.get('extension.vsomanifest')!().toString('utf8')) as {
      contributions: HubContribution[];
    };
    const hubs = manifest.contributions.filter((contribution) => contribution.type === 'ms.vss-web.hub');
    assert.deepEqual(
      hubs.map((hub) => [hub.id, hub.targets, hub.properties.uri]),
      [['release-agent-hub', ['ms.vss-build-web.build-release-hub-group'], 'dist/hub/index.html']],
    );
    const vsixManifest = entries.get('extension.vsixmanifest')!().toString('utf8');
    for (const name of ['hub.js', 'hub.css', 'index.html']) {
      assert.match(
        vsixManifest,
        new RegExp(`Path="dist/hub/${name.replace('.', '\\.')}" Addressable="true"`),
        `${name} is addressable`,
      );
    }
  });
});
