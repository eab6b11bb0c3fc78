// The Azure DevOps scopes each identity needs, from the 7.1 specs' `security` of the operations its
// code calls, against the "Permissions" table of docs/deploy.md and the manifest's `scopes`.
import { API_RESOURCE_LOCATIONS } from '../../sandbox/sim/azdo/locations.ts';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adapterCalls,
  adapterMethodsCalledFrom,
  implies,
  ROOT,
  type ScopeNeed,
  scopeNeeds,
} from './azdo-scopes.ts';
import { loadSpecOperations } from './azdo-spec.ts';

/**
 * Where the spec lets one of several scopes grant an operation, the one each identity is given, and
 * why (a scope can only be chosen among the spec's). Subscriptions: the spec names any of work, build
 * or code; which one counts depends on the event's publisher, so both publishers' scopes are listed.
 */
const CHOICES: Record<string, { scopes: string[]; why: string }> = {
  Approvals_Update: { scopes: ['vso.build_execute'], why: 'the app runs pipelines with it anyway' },
  'Pull Request Threads_Create': { scopes: ['vso.code_write'], why: 'the app writes PRs anyway' },
  'Pull Request Thread Comments_Create': { scopes: ['vso.code_write'], why: 'the app writes PRs anyway' },
  'Pull Request Thread Comments_Update': { scopes: ['vso.code_write'], why: 'the app writes PRs anyway' },
  'Check Configurations_Add': {
    scopes: ['vso.pipelineresources_manage'],
    why: 'managing checks, without the right to queue any pipeline that Build execute gives',
  },
  'Check Configurations_Update': {
    scopes: ['vso.pipelineresources_manage'],
    why: 'managing checks, without the right to queue any pipeline that Build execute gives',
  },
  Projects_Get: { scopes: ['vso.project'], why: "reading the project, not the user's profile" },
  Subscriptions_List: { scopes: ['vso.code', 'vso.build'], why: 'pull-request events and approval events' },
  Subscriptions_Create: { scopes: ['vso.code', 'vso.build'], why: 'pull-request events and approval events' },
  'Subscriptions_Replace Subscription': {
    scopes: ['vso.code', 'vso.build'],
    why: 'pull-request events and approval events',
  },
};

/** A scope's broader forms (Microsoft's scope table, "includes"): a PAT with the broader one has it. */
const BROADER: Record<string, string[]> = {
  'vso.code_write': ['vso.code_manage', 'vso.code_full'],
  'vso.code_manage': ['vso.code_full'],
  'vso.pipelineresources_use': ['vso.pipelineresources_manage'],
};

const grants = (held: string, wanted: string) =>
  implies(held, wanted) || (BROADER[wanted] ?? []).includes(held);

/** The scopes a PAT needs for these operations: forced ones, chosen ones, without those another includes. */
function requiredScopes(needs: readonly ScopeNeed[]): string[] {
  const chosen = new Set<string>();
  for (const need of needs) {
    if (need.scopes.length === 1) chosen.add(need.scopes[0] as string);
    else {
      const choice = CHOICES[need.operationId];
      assert.ok(
        choice,
        `${need.operationId} is granted by any of ${need.scopes.join(', ')}: add the one to give to CHOICES`,
      );
      for (const scope of choice.scopes)
        assert.ok(need.scopes.includes(scope), `${need.operationId}: ${scope} is not one of the spec's`);
      for (const scope of choice.scopes) chosen.add(scope);
    }
  }
  return [...chosen]
    .filter((scope) => ![...chosen].some((held) => held !== scope && grants(held, scope)))
    .sort();
}

/** The `vso.*` scopes of the Permissions rows whose identity starts with `identity`. */
function documentedScopes(identity: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Permissions'), doc.indexOf('## Security model'));
  assert.ok(section.length > 20, 'docs/deploy.md has no Permissions section');
  const rows = section.split('\n').filter((row) => row.startsWith(`| ${identity}`));
  assert.ok(rows.length > 0, `no Permissions row for ${identity}`);
  return rows
    .flatMap((row) =>
      [...(row.split('|')[3] ?? '').matchAll(/`(vso\.[a-z_.]+)`/g)].map((m) => m[1] as string),
    )
    .sort();
}

describe('Azure DevOps permissions: computed from the 7.1 specs', () => {
  const operations = loadSpecOperations();
  const calls = adapterCalls(API_RESOURCE_LOCATIONS);
  const methods = [...calls.keys()];
  const appMethods = adapterMethodsCalledFrom('functions/index.ts', methods);
  const setupMethods = adapterMethodsCalledFrom('scripts/setup.ts', methods);

  it('every call of the REST adapter is an operation of the specs, and says its scopes', () => {
    assert.ok(methods.length >= 20, `read only ${methods.length} adapter methods`);
    for (const need of scopeNeeds(operations, calls, methods))
      assert.ok(need.scopes.length > 0, `${need.operationId} has no security in the spec`);
    // The reading works: a method known to make two calls makes both.
    assert.deepEqual(
      calls.get('ensureEnvironment')?.map((call) => `${call.method} ${call.path}`),
      ['GET proj/_apis/distributedtask/environments', 'POST proj/_apis/distributedtask/environments'],
    );
  });

  it("the function app's PAT: exactly the documented scopes", () => {
    assert.ok(appMethods.includes('completePullRequest') && appMethods.includes('decideApproval'));
    assert.ok(!appMethods.includes('ensureServiceHook'), 'the app creates no subscription');
    assert.deepEqual(
      requiredScopes(scopeNeeds(operations, calls, appMethods)),
      documentedScopes('function app PAT'),
    );
  });

  it("setup's PAT: exactly the documented scopes", () => {
    assert.ok(setupMethods.includes('ensureApprovalCheck') && setupMethods.includes('ensureServiceHook'));
    assert.deepEqual(
      requiredScopes(scopeNeeds(operations, calls, setupMethods)),
      documentedScopes('setup PAT'),
    );
  });

  it('the check itself: a call added whose scope is not documented fails it', () => {
    // Setup creating a tag would need Code manage, which its rows do not list.
    const widened = requiredScopes(scopeNeeds(operations, calls, [...setupMethods, 'createAnnotatedTag']));
    assert.notDeepEqual(widened, documentedScopes('setup PAT'));
    assert.ok(widened.includes('vso.code_manage'));
    // An operation granted by several scopes with no choice made is named.
    assert.throws(
      () => requiredScopes([{ operationId: 'New_Operation', scopes: ['vso.a', 'vso.b'] }]),
      /New_Operation is granted by any of vso\.a, vso\.b/,
    );
  });

  it('the manifest asks only for what the hub uses: its own extension data', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'vss-extension.json'), 'utf8'));
    assert.deepEqual(manifest.scopes, documentedScopes('the hub'));
    // The hub calls no Azure DevOps REST client and no SDK service but the extension data service.
    const hubSources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? hubSources(join(dir, entry.name)) : [join(dir, entry.name)],
      );
    const hub = hubSources(join(ROOT, 'hub', 'src'))
      .filter((file) => /\.tsx?$/.test(file))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    assert.doesNotMatch(hub, /getClient\(|azure-devops-extension-api\/(?!Common)|_apis\//);
    const services = [...hub.matchAll(/getService<(\w+)>/g)].map((match) => match[1]);
    assert.deepEqual([...new Set(services)], ['ExtensionDataService']);
  });
});
