// npm run setup -- --function-app <url> --approver <identity id> [--approver …] [--app-identity <id>] [--require-review-status]
// Creates (or finds) the gate environments with Approval checks and the service-hook subscriptions
// in the project named by AZDO_ORGANIZATION / AZDO_PROJECT, authenticated with AZDO_PAT (its scopes,
// computed from the calls it makes, are in docs/deploy.md "Permissions"). The webhook secret is WEBHOOK_SECRET.
// Secrets come from the environment only, never from the command line.
import { parseArgs } from 'node:util';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { azdoOrganizationUrl, configProblems, loadConfig } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import { redact } from '../core/secret.ts';
import { setupOrganisation } from '../flows/setup-organisation.ts';
import { describeFailure } from './cli.ts';

const usage =
  'usage: npm run setup -- --function-app <https url> --approver <identity id> [--approver <id> …] [--app-identity <id>] [--timeout-days N] [--require-review-status]';

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${usage}
Creates (or finds) the gate environments with Approval checks and the service-hook subscriptions in
the project AZDO_ORGANIZATION / AZDO_PROJECT, with AZDO_PAT and WEBHOOK_SECRET from the environment.
Use the function app's own AZDO_PAT: its identity is added to every gate's approvers (found from the
service hooks setup writes, or given with --app-identity). --require-review-status also adds a blocking
Status branch policy on PR_POLL_TARGET_BRANCH: a PR merges only once the AI review of its latest push
succeeded (release-agent/ai-review).`);
    return 0;
  }
  let values: {
    'function-app'?: string;
    approver?: string[];
    'app-identity'?: string;
    'timeout-days'?: string;
    'require-review-status'?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'function-app': { type: 'string' },
        approver: { type: 'string', multiple: true },
        'app-identity': { type: 'string' },
        'timeout-days': { type: 'string' },
        'require-review-status': { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${usage}`);
    return 2;
  }
  const functionAppUrl = values['function-app'];
  if (!functionAppUrl || !/^https?:\/\/\S+$/.test(functionAppUrl)) {
    console.error(`--function-app must be the function app's URL\n${usage}`);
    return 2;
  }
  if (!values.approver?.length) {
    console.error(`at least one --approver (an Azure DevOps identity id) is needed\n${usage}`);
    return 2;
  }
  const timeoutDays = values['timeout-days'] === undefined ? 30 : Number(values['timeout-days']);
  if (!Number.isInteger(timeoutDays) || timeoutDays < 1 || timeoutDays > 30) {
    console.error(`--timeout-days must be a whole number from 1 to 30\n${usage}`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    console.error(errorMessage(error));
    return 2;
  }
  const missing = [
    !config.AZDO_ORGANIZATION && !config.AZDO_BASE_URL ? 'AZDO_ORGANIZATION' : '',
    !config.AZDO_PROJECT ? 'AZDO_PROJECT' : '',
    config.AZDO_PAT.isEmpty ? 'AZDO_PAT' : '',
    config.WEBHOOK_SECRET.isEmpty ? 'WEBHOOK_SECRET' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    console.error(`set ${missing.join(', ')} in the environment`);
    return 2;
  }
  const azdo = new RestAzureDevOps({
    organizationUrl: azdoOrganizationUrl(config),
    project: config.AZDO_PROJECT,
    auth: { kind: 'pat', token: config.AZDO_PAT },
  });
  try {
    const steps = await setupOrganisation(
      {
        azdo,
        now: systemClock.now,
        // Each step one plain line on the console, as the admin reads it.
        log: {
          info: (line) => console.log(line),
          warn: (line) => console.log(line),
          error: (line) => console.log(line),
        },
      },
      {
        functionAppUrl,
        webhookSecret: config.WEBHOOK_SECRET,
        approverIds: values.approver,
        ...(values['app-identity'] ? { appIdentityId: values['app-identity'] } : {}),
        timeoutDays,
        environments: config.RELEASE_ENVIRONMENTS,
        releasePipelines: config.RELEASE_PIPELINE_BY_REPO,
        ...(values['require-review-status'] ? { requireReviewStatusOn: config.PR_POLL_TARGET_BRANCH } : {}),
      },
    );
    const unmarked = steps.filter((step) => step.kind === 'approval-check' && step.problem);
    const environments = config.RELEASE_ENVIRONMENTS;
    console.log(
      `the release template's parameters must name these environments: createEnvironment: ${environments.create}, mergeEnvironment: ${environments.merge}, runEnvironment: ${environments.run}, sandboxEnvironment: ${environments.sandbox}, productionEnvironment: ${environments.production}`,
    );
    if (unmarked.length > 0) {
      console.error(
        `not done: ${unmarked.length} Approval check(s) lack the gate marker: ${unmarked.map((step) => step.name).join(', ')} (see above)`,
      );
      return 1;
    }
    console.log('done: include pipelines/*.yml in your pipelines (see README)');
    // Closed by default: say what keeps the function app's gates shut, if this environment is its settings.
    for (const problem of configProblems(config).filter((line) =>
      /^(GATE_ALLOWED_USERS|DECISION_SIGNING_KEY|OPERATOR_TOKEN)/.test(line),
    ))
      console.log(`note for the function app's settings: ${problem}`);
    return 0;
  } catch (error) {
    const reach = { url: azdoOrganizationUrl(config), setting: 'AZDO_ORGANIZATION / AZDO_BASE_URL' };
    console.error(redact(describeFailure(error, reach), [config.AZDO_PAT, config.WEBHOOK_SECRET]));
    return 1;
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1])
  process.exitCode = await main(process.argv.slice(2), process.env);
