import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import util from 'node:util';
import {
  appTokenAudiences,
  azdoOrganizationUrl,
  EXTENSION_ID,
  type Config,
  configProblems,
  configSchema,
  configSecrets,
  type Env,
  loadConfig,
  RETIRED_SETTINGS,
  retiredSettingProblems,
} from '../../core/config.ts';
import { isReleaseAgentError, type ReleaseAgentError } from '../../core/errors.ts';
import { Secret } from '../../core/secret.ts';
import { coded } from './expect-error.ts';

const SECRET_VARIABLES = [
  'AZDO_PAT',
  'JIRA_API_TOKEN',
  'SLACK_WEBHOOK_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'WEBHOOK_SECRET',
  'WEBHOOK_SECRET_PREVIOUS',
  'OPERATOR_TOKEN',
  'DECISION_SIGNING_KEY',
  'STORAGE_CONNECTION_STRING',
  'EXTENSION_CERTIFICATE',
] as const;

/** Defaults: DESIGN §6 (the Python agent's names and values) plus our additions. */
const DEFAULTS: Record<string, unknown> = {
  AZDO_ORGANIZATION: '',
  AZDO_PROJECT: '',
  AZDO_BASE_URL: '',
  JIRA_EMAIL: '',
  // No team's Jira site or project: links are left out and no Story is created until they are set.
  JIRA_BASE_URL: '',
  DEFAULT_JIRA_PROJECT: '',
  AUTO_CREATE_TICKET_ENABLED: true,
  TICKET_KEY_PATTERN: '[A-Z][A-Z0-9]+-\\d+',
  SLACK_CHANNEL_ID: '',
  SLACK_TEAM_ID: '',
  SLACK_APP_ID: '',
  SEPARATION_OF_DUTIES: true,
  EXTENSION_AUDIENCE: [],
  AZDO_ORGANIZATION_ID: '',
  SLACK_API_URL: 'https://slack.com/api/',
  WATCHED_REPOS: [],
  PR_POLL_ENABLED: false,
  PR_POLL_INTERVAL_SECONDS: 300,
  PR_POLL_TARGET_BRANCH: 'refs/heads/develop',
  MERGE_POLICY_RECHECK_SECONDS: 30,
  MERGE_POLICY_MAX_WAIT_SECONDS: 14_400,
  STORAGE_TABLE_PREFIX: 'ReleaseAgent',
  FIRST_RELEASE_VERSION: '1.0.0',
  CONVENTIONAL_BUMP_ENABLED: false,
  EXTENSION_PUBLISHER: 'release-agent',
  GATE_ALLOWED_USERS: '',
  PR_PIPELINE_ID: undefined,
  PR_PIPELINE_BY_REPO: {},
  RELEASE_PIPELINE_BY_REPO: {},
  // Not `sandbox`/`production`: environment names are shared by every pipeline of a project.
  RELEASE_ENVIRONMENTS: {
    create: 'release-create-pr',
    merge: 'release-merge-pr',
    run: 'release-run-pipelines',
    sandbox: 'release-agent-sandbox',
    production: 'release-agent-production',
  },
  RELEASE_BRANCHES: '',
  REVIEW_PR_BUDGET_USD: '20',
  JIRA_PROJECTS: '',
  JIRA_WORKFLOW: 'To Do,In Progress,Code Review,Staging,Done',
  WORK_QUEUE_NAME: 'release-agent-work',
  JIRA_STAGING_STATUS: 'Staging',
};

const configError = (env: Env): ReleaseAgentError => {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(isReleaseAgentError(error, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${String(error)}`);
    return error;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
};

const READY: Env = {
  AZDO_ORGANIZATION: 'billo',
  AZDO_PROJECT: 'Platform',
  AZDO_PAT: 'pat-value-0001',
  JIRA_BASE_URL: 'https://example.atlassian.net',
  DEFAULT_JIRA_PROJECT: 'PROJ',
  JIRA_EMAIL: 'bot@billo.example',
  JIRA_API_TOKEN: 'jira-token-0002',
  SLACK_BOT_TOKEN: 'xoxb-slack-0003',
  SLACK_SIGNING_SECRET: 'signing-0004',
  SLACK_CHANNEL_ID: 'C0123',
  SLACK_TEAM_ID: 'T0123',
  SLACK_APP_ID: 'A0123',
  WEBHOOK_SECRET: 'hook-secret-0005',
  OPERATOR_TOKEN: 'operator-token-0006',
  DECISION_SIGNING_KEY: 'decision-signing-key-0007-0123456789abcdef',
  GATE_ALLOWED_USERS: '*=U1;approve_stage=U2',
  STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

describe('core/config', () => {
  describe('defaults', () => {
    const config = loadConfig({});

    it('every setting of the schema has a default under test', () => {
      const tested = [...Object.keys(DEFAULTS), ...SECRET_VARIABLES].sort();
      assert.deepEqual(Object.keys(configSchema.shape).sort(), tested);
    });

    for (const [name, expected] of Object.entries(DEFAULTS)) {
      it(`${name} defaults to ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(config[name as keyof Config], expected);
      });
    }

    for (const name of SECRET_VARIABLES) {
      it(`${name} defaults to an empty Secret`, () => {
        const value = config[name];
        assert.ok(value instanceof Secret);
        assert.equal(value.isEmpty, true);
      });
    }

    it('blank values count as unset', () => {
      const blank = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, '  ']));
      const loaded = loadConfig(blank);
      for (const [name, expected] of Object.entries(DEFAULTS))
        assert.deepEqual(loaded[name as keyof Config], expected, name);
    });
  });

  describe('valid values', () => {
    const cases: Array<[string, string, unknown]> = [
      ['AUTO_CREATE_TICKET_ENABLED', 'false', false],
      ['AUTO_CREATE_TICKET_ENABLED', 'False', false],
      ['AUTO_CREATE_TICKET_ENABLED', '0', false],
      ['AUTO_CREATE_TICKET_ENABLED', 'off', false],
      ['PR_POLL_ENABLED', 'True', true],
      ['PR_POLL_ENABLED', ' yes ', true],
      ['PR_POLL_ENABLED', '1', true],
      ['PR_POLL_INTERVAL_SECONDS', '60', 60],
      ['PR_POLL_INTERVAL_SECONDS', ' 600 ', 600],
      ['MERGE_POLICY_RECHECK_SECONDS', '1', 1],
      ['MERGE_POLICY_MAX_WAIT_SECONDS', '518400', 518_400],
      ['PR_POLL_TARGET_BRANCH', 'refs/heads/main', 'refs/heads/main'],
      ['JIRA_BASE_URL', 'https://example.atlassian.net', 'https://example.atlassian.net'],
      ['AZDO_BASE_URL', 'http://localhost:8081/org', 'http://localhost:8081/org'],
      ['DEFAULT_JIRA_PROJECT', 'PAY2', 'PAY2'],
      ['FIRST_RELEASE_VERSION', '0.1.0', '0.1.0'],
      ['TICKET_KEY_PATTERN', '(?:ALLPOST|PAY)-\\d+', '(?:ALLPOST|PAY)-\\d+'],
      ['AZDO_PROJECT', '  Platform  ', 'Platform'],
    ];
    for (const [name, value, expected] of cases) {
      it(`${name}=${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(loadConfig({ [name]: value })[name as keyof Config], expected);
      });
    }
  });

  describe('RELEASE_ENVIRONMENTS', () => {
    it('names the environments of the roles it lists; the others keep their default', () => {
      assert.deepEqual(
        loadConfig({ RELEASE_ENVIRONMENTS: ' production = pay_prod ; SANDBOX=pay-sbx;' })
          .RELEASE_ENVIRONMENTS,
        {
          create: 'release-create-pr',
          merge: 'release-merge-pr',
          run: 'release-run-pipelines',
          sandbox: 'pay-sbx',
          production: 'pay_prod',
        },
      );
    });

    it('says what is wrong with an entry: its role, or its name (the entry schema)', () => {
      const message = (value: string) => configError({ RELEASE_ENVIRONMENTS: value }).message;
      assert.match(
        message('staging=pay-stage'),
        /RELEASE_ENVIRONMENTS: expected create\|merge\|run\|sandbox\|production=<environment>;…, got "staging=pay-stage"/,
      );
      assert.match(message('production'), /got "production"/);
      assert.match(message('=prod'), /got "=prod"/);
      assert.match(
        message('Production=prod.web'),
        /RELEASE_ENVIRONMENTS: production: "prod.web" is not an environment name/,
      );
      assert.match(message('sandbox='), /sandbox: "" is not an environment name/);
      assert.match(message(`run=${'r'.repeat(101)}`), /run: "r+" is not an environment name/);
      assert.equal(loadConfig({ RELEASE_ENVIRONMENTS: 'RUN = Run_1' }).RELEASE_ENVIRONMENTS.run, 'Run_1');
    });

    it('refuses one environment for two gates, naming it', () => {
      assert.match(
        configError({ RELEASE_ENVIRONMENTS: 'create=gate;merge=GATE' }).message,
        /RELEASE_ENVIRONMENTS: environment "gate" is named for two gates/,
      );
    });
  });

  describe('WATCHED_REPOS', () => {
    const cases: Array<[string, string[]]> = [
      ['Billo.Platform.Payment', ['Billo.Platform.Payment']],
      [
        'Billo.Platform.Payment,Billo.Platform.Document.DocumentAnalyser',
        ['Billo.Platform.Payment', 'Billo.Platform.Document.DocumentAnalyser'],
      ],
      [' A , B ,, C ,', ['A', 'B', 'C']],
      ['repo with spaces', ['repo with spaces']],
      [' , ', []],
    ];
    for (const [value, expected] of cases) {
      it(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(loadConfig({ WATCHED_REPOS: value }).WATCHED_REPOS, expected);
      });
    }
  });

  describe('bad values: CONFIG_INVALID naming the variable', () => {
    const cases: Array<[string, string]> = [
      ['RELEASE_ENVIRONMENTS', 'staging=pay-stage'],
      ['RELEASE_ENVIRONMENTS', 'production'],
      ['RELEASE_ENVIRONMENTS', 'production=prod.web'],
      ['RELEASE_ENVIRONMENTS', 'production=my prod'],
      ['RELEASE_ENVIRONMENTS', 'sandbox=release-create-pr'],
      ['AUTO_CREATE_TICKET_ENABLED', 'maybe'],
      ['PR_POLL_ENABLED', 'enabled'],
      ['PR_POLL_INTERVAL_SECONDS', 'five'],
      ['PR_POLL_INTERVAL_SECONDS', '9'],
      ['PR_POLL_INTERVAL_SECONDS', '30.5'],
      ['MERGE_POLICY_RECHECK_SECONDS', '1e3'],
      ['MERGE_POLICY_RECHECK_SECONDS', '0x1f'],
      ['MERGE_POLICY_RECHECK_SECONDS', '0'],
      // A queue message lives 7 days: a longer wait could never end.
      ['MERGE_POLICY_MAX_WAIT_SECONDS', '604801'],
      ['MERGE_POLICY_MAX_WAIT_SECONDS', '59'],
      ['PR_POLL_TARGET_BRANCH', 'develop'],
      ['JIRA_BASE_URL', 'billolife.atlassian.net'],
      ['JIRA_BASE_URL', 'ftp://billolife.atlassian.net'],
      ['JIRA_BASE_URL', 'https://billo life.atlassian.net'],
      ['SLACK_API_URL', 'javascript:alert(1)'],
      ['DEFAULT_JIRA_PROJECT', 'allpost'],
      ['DEFAULT_JIRA_PROJECT', 'ALL-POST'],
      ['TICKET_KEY_PATTERN', '[A-Z'],
      ['FIRST_RELEASE_VERSION', '1.0'],
      ['STORAGE_TABLE_PREFIX', 'release-agent'],
      ['FIRST_RELEASE_VERSION', 'v1.0.0'],
      ['WATCHED_REPOS', 'good,org/bad'],
      ['WATCHED_REPOS', 'a#b'],
      ['WATCHED_REPOS', 'what?'],
    ];
    for (const [name, value] of cases) {
      it(`${name}=${JSON.stringify(value)}`, () => {
        const error = configError({ [name]: value });
        assert.match(error.message, new RegExp(`\\b${name}\\b`));
        assert.deepEqual(error.fields.variables, [name]);
      });
    }

    it('names every bad variable at once', () => {
      const bad = {
        PR_POLL_ENABLED: 'maybe',
        PR_POLL_INTERVAL_SECONDS: 'x',
        DEFAULT_JIRA_PROJECT: 'lower',
        WATCHED_REPOS: 'a/b',
      };
      const error = configError({ ...bad, AZDO_PROJECT: 'fine' });
      assert.deepEqual([...(error.fields.variables as string[])].sort(), Object.keys(bad).sort());
      for (const name of Object.keys(bad)) assert.match(error.message, new RegExp(`\\b${name}\\b`));
      assert.doesNotMatch(error.message, /AZDO_PROJECT/);
    });

    it('is thrown with assert.throws on its code', () => {
      assert.throws(() => loadConfig({ PR_POLL_INTERVAL_SECONDS: 'eighty' }), {
        code: 'CONFIG_INVALID',
        name: 'ReleaseAgentError',
      });
    });
  });

  describe('storage connection', () => {
    const cases: Array<[string, Env, string]> = [
      [
        'STORAGE_CONNECTION_STRING wins',
        { STORAGE_CONNECTION_STRING: 'ours', AzureWebJobsStorage: 'functions' },
        'ours',
      ],
      ['falls back to AzureWebJobsStorage', { AzureWebJobsStorage: 'functions' }, 'functions'],
      [
        'an empty setting falls back too',
        { STORAGE_CONNECTION_STRING: '', AzureWebJobsStorage: 'functions' },
        'functions',
      ],
      [
        'a blank setting falls back too',
        { STORAGE_CONNECTION_STRING: '  ', AzureWebJobsStorage: 'functions' },
        'functions',
      ],
      ['neither set', {}, ''],
    ];
    for (const [label, env, expected] of cases) {
      it(label, () => assert.equal(loadConfig(env).STORAGE_CONNECTION_STRING.reveal(), expected));
    }
  });

  describe('retired settings', () => {
    it('a Python agent setting the app no longer reads is named with what replaced it, only when set', () => {
      assert.deepEqual(retiredSettingProblems({ PORT: '', AZDO_PROJECT: 'x' }), []);
      const problems = retiredSettingProblems({ CI_POLL_INTERVAL_SECONDS: '30', REVIEW_MAX_BUDGET_USD: '2' });
      assert.deepEqual(problems, [
        "CI_POLL_INTERVAL_SECONDS is no longer read by the function app: use the RunPipelines and ReleasePullRequest tasks' input pollIntervalSeconds",
        "REVIEW_MAX_BUDGET_USD is no longer read by the function app: use the ReviewPullRequest and JiraTicket tasks' input maxBudgetUsd",
      ]);
      for (const name of Object.keys(RETIRED_SETTINGS)) assert.ok(!(name in configSchema.shape), name);
    });
  });

  describe('configProblems', () => {
    it('a complete configuration has none', () => {
      assert.deepEqual(configProblems(loadConfig(READY)), []);
    });

    const cases: Array<[string, Env, string[]]> = [
      ['organisation missing', { AZDO_ORGANIZATION: undefined }, ['AZDO_ORGANIZATION is not set']],
      [
        'AZDO_BASE_URL replaces the organisation',
        { AZDO_ORGANIZATION: undefined, AZDO_BASE_URL: 'http://localhost:8081/org' },
        [],
      ],
      ['project missing', { AZDO_PROJECT: '' }, ['AZDO_PROJECT is not set']],
      ['PAT missing', { AZDO_PAT: '' }, ['AZDO_PAT is not set']],
      [
        'Jira credentials missing',
        { JIRA_EMAIL: '', JIRA_API_TOKEN: '' },
        ['JIRA_EMAIL is not set', 'JIRA_API_TOKEN is not set'],
      ],
      [
        'no Jira site: no calls and no links',
        { JIRA_BASE_URL: '' },
        ['JIRA_BASE_URL is not set: no Jira calls, ticket keys are not linked'],
      ],
      [
        'auto-create on with no project to create in',
        { DEFAULT_JIRA_PROJECT: '' },
        [
          'AUTO_CREATE_TICKET_ENABLED is true but DEFAULT_JIRA_PROJECT is not set: no Story can be created for a PR without a ticket',
        ],
      ],
      [
        'auto-create off needs no project',
        { DEFAULT_JIRA_PROJECT: '', AUTO_CREATE_TICKET_ENABLED: 'false' },
        [],
      ],
      [
        'no Slack at all',
        { SLACK_BOT_TOKEN: '', SLACK_CHANNEL_ID: '', SLACK_SIGNING_SECRET: '' },
        [
          'neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL is set',
          'SLACK_SIGNING_SECRET is not set: Slack buttons are refused',
        ],
      ],
      [
        'a webhook replaces the bot token',
        { SLACK_BOT_TOKEN: '', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' },
        [],
      ],
      [
        'a bot token needs a channel, and so do the buttons',
        { SLACK_CHANNEL_ID: '' },
        [
          'SLACK_CHANNEL_ID is not set',
          'SLACK_TEAM_ID, SLACK_APP_ID and SLACK_CHANNEL_ID must all be set: Slack buttons are refused',
        ],
      ],
      [
        'buttons without the workspace or the app',
        { SLACK_TEAM_ID: '' },
        ['SLACK_TEAM_ID, SLACK_APP_ID and SLACK_CHANNEL_ID must all be set: Slack buttons are refused'],
      ],
      [
        'no operator token (closed, not open)',
        { OPERATOR_TOKEN: '' },
        ['OPERATOR_TOKEN is not set: the operator API (decide, manual, reads) is refused'],
      ],
      [
        'no decision signing key',
        { DECISION_SIGNING_KEY: '' },
        ['DECISION_SIGNING_KEY is not set: no gate can be decided and no decision is performed'],
      ],
      [
        'no allow-list',
        { GATE_ALLOWED_USERS: '' },
        ['GATE_ALLOWED_USERS is empty: no one may decide any gate'],
      ],
      [
        'an allow-list leaving gates to no one',
        { GATE_ALLOWED_USERS: 'merge_pr=U1;5=U2' },
        [
          'GATE_ALLOWED_USERS names no one for create_release_pr, merge_release_pr, run_pipelines: no one may decide it',
        ],
      ],
      [
        'a certificate without the organisation id',
        { EXTENSION_CERTIFICATE: 'cert' },
        ['AZDO_ORGANIZATION_ID is not set: the hub cannot sign in'],
      ],
      [
        'no signing secret',
        { SLACK_SIGNING_SECRET: '' },
        ['SLACK_SIGNING_SECRET is not set: Slack buttons are refused'],
      ],
      ['no webhook secret', { WEBHOOK_SECRET: '' }, ['WEBHOOK_SECRET is not set: service hooks are refused']],
      ['no storage', { STORAGE_CONNECTION_STRING: '' }, ['STORAGE_CONNECTION_STRING is not set']],
      [
        'storage from the Functions setting',
        { STORAGE_CONNECTION_STRING: '', AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
        [],
      ],
      [
        'polling without repos',
        { PR_POLL_ENABLED: 'true' },
        ['PR_POLL_ENABLED is true but WATCHED_REPOS is empty'],
      ],
      ['polling with repos', { PR_POLL_ENABLED: 'true', WATCHED_REPOS: 'Billo.Platform.Payment' }, []],
    ];
    for (const [label, change, expected] of cases) {
      it(`${label}: ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(configProblems(loadConfig({ ...READY, ...change })), expected);
      });
    }
  });

  describe('azdoOrganizationUrl', () => {
    const cases: Array<[Env, string]> = [
      [{ AZDO_ORGANIZATION: 'billo' }, 'https://dev.azure.com/billo'],
      [{ AZDO_ORGANIZATION: 'my org' }, 'https://dev.azure.com/my%20org'],
      [
        { AZDO_ORGANIZATION: 'billo', AZDO_BASE_URL: 'http://localhost:8081/billo//' },
        'http://localhost:8081/billo',
      ],
    ];
    for (const [env, expected] of cases) {
      it(`${JSON.stringify(env)} → ${expected}`, () =>
        assert.equal(azdoOrganizationUrl(loadConfig(env)), expected));
    }
  });

  describe('secrets never leak', () => {
    const SECRET_ENV: Env = Object.fromEntries(
      SECRET_VARIABLES.map((name) => [name, `s3cr3t-${name.toLowerCase()}-Zq9-long-enough`]),
    );
    const values = Object.values(SECRET_ENV) as string[];
    const config = loadConfig({ ...READY, ...SECRET_ENV });

    const renderings: Array<[string, () => string]> = [
      ['JSON.stringify', () => JSON.stringify(config)],
      ['String()', () => String(config)],
      ['template literals of each secret', () => SECRET_VARIABLES.map((name) => `${config[name]}`).join(' ')],
      ['util.inspect', () => util.inspect(config, { depth: null })],
      ['util.inspect showHidden', () => util.inspect(config, { depth: null, showHidden: true })],
      [
        'util.inspect without custom inspect',
        () => util.inspect(config, { depth: null, customInspect: false }),
      ],
      ['util.format %o', () => util.format('%o %s %j', config, config.AZDO_PAT, config)],
    ];
    for (const [label, render] of renderings) {
      it(`${label} shows no secret`, () => {
        const text = render();
        for (const value of values) assert.ok(!text.includes(value), `${label} leaked ${value}`);
      });
    }

    it('every secret is still there for reveal() and configSecrets', () => {
      for (const name of SECRET_VARIABLES) assert.equal(config[name].reveal(), SECRET_ENV[name]);
      assert.deepEqual(
        configSecrets(config)
          .map((secret) => secret.reveal())
          .sort(),
        [...values].sort(),
      );
    });

    it('a failed load names the bad variable but no secret, in any rendering of the error', () => {
      const error = configError({ ...SECRET_ENV, PR_POLL_INTERVAL_SECONDS: 'nope' });
      const renderings = [
        error.message,
        error.stack ?? '',
        JSON.stringify(error),
        util.inspect(error, { depth: null }),
      ];
      for (const text of renderings)
        for (const value of values) assert.ok(!text.includes(value), `leaked ${value}`);
      assert.deepEqual(error.fields.variables, ['PR_POLL_INTERVAL_SECONDS']);
    });

    it('a secret pasted into the wrong variable is not quoted back', () => {
      const token = 'xoxb-pasted-in-the-wrong-place';
      const error = configError({ SLACK_BOT_TOKEN: token, PR_POLL_ENABLED: token });
      assert.ok(!error.message.includes(token), error.message);
      assert.match(error.message, /PR_POLL_ENABLED/);
    });

    it('so is an AzureWebJobsStorage connection string', () => {
      const storage = 'DefaultEndpointsProtocol=https;AccountKey=abc123==';
      const error = configError({ AzureWebJobsStorage: storage, PR_POLL_INTERVAL_SECONDS: storage });
      assert.ok(!error.message.includes(storage), error.message);
    });
  });

  describe('the security settings', () => {
    it('reads them and refuses bad values naming the variable', () => {
      const config = loadConfig({
        SLACK_TEAM_ID: 'T0ABC',
        SLACK_APP_ID: 'A0ABC',
        SEPARATION_OF_DUTIES: 'false',
        EXTENSION_AUDIENCE: 'pub.ext, 560de67c-a2e8-408a-86ae-be7ea6bd0b7a',
        AZDO_ORGANIZATION_ID: 'E9AD8643-B5E9-447F-B324-D78E61D7ED84',
      });
      assert.equal(config.SEPARATION_OF_DUTIES, false);
      assert.deepEqual(appTokenAudiences(config), ['pub.ext', '560de67c-a2e8-408a-86ae-be7ea6bd0b7a']);
      assert.deepEqual(appTokenAudiences(loadConfig({ EXTENSION_PUBLISHER: 'acme' })), [
        'acme.release-agent',
      ]);
      for (const [name, value] of [
        ['SLACK_TEAM_ID', 'workspace'],
        ['SLACK_APP_ID', 'T0ABC'],
        ['AZDO_ORGANIZATION_ID', 'acme'],
        ['DECISION_SIGNING_KEY', 'short'],
        ['SEPARATION_OF_DUTIES', 'maybe'],
      ] as const) {
        assert.throws(
          () => loadConfig({ [name]: value }),
          coded('CONFIG_INVALID', { variables: [name] }),
          name,
        );
      }
    });

    it('the extension id matches vss-extension.json (the default audience is built from it)', () => {
      const manifest = JSON.parse(
        readFileSync(join(import.meta.dirname, '..', '..', 'vss-extension.json'), 'utf8'),
      );
      assert.equal(manifest.id, EXTENSION_ID);
    });
  });
});
