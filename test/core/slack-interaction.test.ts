import assert from 'node:assert/strict';
import { isReleaseAgentError } from '../../core/errors.ts';
import { parseBlockActions, readInteraction } from '../../core/slack-interaction.ts';

// Shaped like the block_actions payload Slack documents for a button in a message.
function payload(): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: 'U0SANDBOX', username: 'sandbox.user', name: 'sandbox.user', team_id: 'T0SANDBOX' },
    api_app_id: 'A0RELEASEAGENT',
    token: 'sandboxVerificationToken',
    container: {
      type: 'message',
      message_ts: '1712345678.000100',
      channel_id: 'C0SANDBOX',
      is_ephemeral: false,
    },
    trigger_id: '1712345680.1.abcdef',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: 'C0SANDBOX', name: 'releases' },
    message: {
      type: 'message',
      text: 'Merge PR 42?',
      ts: '1712345678.000100',
      blocks: [{ type: 'divider', block_id: 'd1' }],
    },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T0SANDBOX/123/abc',
    actions: [
      {
        action_id: 'gate.merge.approve',
        block_id: 'gate',
        text: { type: 'plain_text', text: 'Merge' },
        value: 'decision-1:nonce-abc',
        style: 'primary',
        type: 'button',
        action_ts: '1712345680.123456',
      },
    ],
  };
}

const form = (value: unknown) => `payload=${encodeURIComponent(JSON.stringify(value))}`;

// Each case breaks the fixture in its own way (deleting, retyping), which a precise type would forbid.
// biome-ignore lint/suspicious/noExplicitAny: a deliberately loose handle on the fixture
function withChange(change: (body: Record<string, any>) => void): string {
  const body = payload();
  change(body);
  return form(body);
}

describe('core/slack-interaction parseBlockActions', () => {
  it('parses a button press into the typed payload', () => {
    const parsed = parseBlockActions(form(payload()));
    assert.equal(parsed.type, 'block_actions');
    assert.deepEqual(parsed.user, {
      id: 'U0SANDBOX',
      username: 'sandbox.user',
      name: 'sandbox.user',
      teamId: 'T0SANDBOX',
    });
    assert.deepEqual(parsed.channel, { id: 'C0SANDBOX', name: 'releases' });
    assert.equal(parsed.message.ts, '1712345678.000100');
    assert.deepEqual(parsed.container, {
      type: 'message',
      messageTs: '1712345678.000100',
      channelId: 'C0SANDBOX',
      isEphemeral: false,
    });
    assert.deepEqual(parsed.action, {
      actionId: 'gate.merge.approve',
      blockId: 'gate',
      value: 'decision-1:nonce-abc',
      type: 'button',
      actionTs: '1712345680.123456',
    });
    assert.equal(parsed.actions.length, 1);
    assert.equal(parsed.responseUrl, 'https://hooks.slack.com/actions/T0SANDBOX/123/abc');
    assert.equal(parsed.teamId, 'T0SANDBOX');
    assert.equal(parsed.apiAppId, 'A0RELEASEAGENT');
  });

  it('reads the body as bytes, and spaces encoded as + the way form encoders write them', () => {
    const body = new URLSearchParams({ payload: JSON.stringify(payload()) }).toString();
    assert.match(body, /\+/);
    assert.equal(parseBlockActions(Buffer.from(body)).message.text, 'Merge PR 42?');
  });

  it('falls back to user.name when Slack sends no username', () => {
    const parsed = parseBlockActions(withChange((body) => delete body.user.username));
    assert.equal(parsed.user.username, 'sandbox.user');
  });

  const invalid: { name: string; body: string; field: string }[] = [
    { name: 'no payload field', body: 'foo=bar', field: 'payload' },
    { name: 'two payload fields', body: `${form(payload())}&${form(payload())}`, field: 'payload' },
    { name: 'a payload that is not JSON', body: 'payload=%7Bnot-json', field: 'payload' },
    { name: 'a payload that is an array', body: form([payload()]), field: 'payload' },
    {
      name: 'another interaction type',
      body: withChange((b) => (b.type = 'view_submission')),
      field: 'type',
    },
    { name: 'no user', body: withChange((b) => delete b.user), field: 'user' },
    { name: 'no user id', body: withChange((b) => delete b.user.id), field: 'user.id' },
    { name: 'a numeric user id', body: withChange((b) => (b.user.id = 42)), field: 'user.id' },
    {
      name: 'no username nor name',
      body: withChange((b) => {
        delete b.user.username;
        delete b.user.name;
      }),
      field: 'user.username',
    },
    { name: 'no channel id', body: withChange((b) => (b.channel = {})), field: 'channel.id' },
    { name: 'no message ts', body: withChange((b) => delete b.message.ts), field: 'message.ts' },
    {
      name: 'a message ts that is not a ts',
      body: withChange((b) => (b.message.ts = 'yesterday')),
      field: 'message.ts',
    },
    {
      name: 'message blocks that are not a list',
      body: withChange((b) => (b.message.blocks = {})),
      field: 'message.blocks',
    },
    { name: 'no container', body: withChange((b) => delete b.container), field: 'container' },
    {
      name: 'a container on another message',
      body: withChange((b) => (b.container.message_ts = '1712345678.000200')),
      field: 'container.message_ts',
    },
    {
      name: 'a container in another channel',
      body: withChange((b) => (b.container.channel_id = 'C0OTHER')),
      field: 'container.channel_id',
    },
    { name: 'no actions', body: withChange((b) => (b.actions = [])), field: 'actions' },
    {
      name: 'no action_id',
      body: withChange((b) => delete b.actions[0].action_id),
      field: 'actions[0].action_id',
    },
    {
      name: 'no block_id',
      body: withChange((b) => delete b.actions[0].block_id),
      field: 'actions[0].block_id',
    },
    { name: 'no value', body: withChange((b) => delete b.actions[0].value), field: 'actions[0].value' },
    {
      name: 'a value too long',
      body: withChange((b) => (b.actions[0].value = 'x'.repeat(2001))),
      field: 'actions[0].value',
    },
    {
      name: 'an action_id too long',
      body: withChange((b) => (b.actions[0].action_id = 'a'.repeat(256))),
      field: 'actions[0].action_id',
    },
    { name: 'no response_url', body: withChange((b) => delete b.response_url), field: 'response_url' },
    {
      name: 'a response_url that is not http',
      body: withChange((b) => (b.response_url = 'javascript:alert(1)')),
      field: 'response_url',
    },
  ];
  for (const { name, body, field } of invalid) {
    it(`refuses ${name} with INPUT_INVALID naming ${field}`, () => {
      assert.throws(
        () => parseBlockActions(body),
        (error: unknown) =>
          isReleaseAgentError(error, 'INPUT_INVALID') &&
          error.fields.field === field &&
          error.message.includes(field),
      );
    });
  }
});

describe('core: readInteraction sorts a verified body', () => {
  it('a button on a message is a button press', () => {
    const read = readInteraction(form(payload()));
    assert.equal(read.kind, 'button');
  });
  it('a view, a shortcut, a modal block action, a malformed one and garbage are ignored, never thrown', () => {
    const cases: [unknown, string, boolean][] = [
      [{ type: 'view_submission', view: { id: 'V1' } }, 'view_submission', false],
      [{ type: 'shortcut', callback_id: 'x' }, 'shortcut', false],
      [
        { type: 'message_action', response_url: 'https://hooks.slack.com/actions/T/1/a' },
        'message_action',
        true,
      ],
      [
        { ...payload(), container: { type: 'view', view_id: 'V1' }, message: undefined },
        'block_actions',
        true,
      ],
      [{ ...payload(), user: {} }, 'block_actions', true],
    ];
    for (const [value, type, withUrl] of cases) {
      const read = readInteraction(form(value));
      assert.equal(read.kind, 'ignored', JSON.stringify(value).slice(0, 80));
      if (read.kind !== 'ignored') continue;
      assert.equal(read.type, type);
      assert.equal(read.responseUrl !== undefined, withUrl, `${type}: response_url`);
    }
    for (const garbage of ['payload=%7B', 'nothing=here', '', 'payload=%5B1%5D']) {
      const read = readInteraction(garbage);
      assert.equal(read.kind, 'ignored', garbage);
    }
  });
});
