// The bot-token Slack adapter with @slack/web-api (and its HTTP stack) loaded on the first call, for
// the split task bundles (scripts/build.ts): a run that posts nothing never compiles it. The token is
// checked at once, as createWebApiSlack checks it.
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Slack } from './slack.ts';
import type { WebApiSlackOptions } from './web-api-slack.ts';

export function createWebApiSlackOnFirstCall(options: WebApiSlackOptions): Slack {
  if (options.token.isEmpty) {
    throw new ReleaseAgentError('CONFIG_INVALID', 'SLACK_BOT_TOKEN is empty', {
      variables: ['SLACK_BOT_TOKEN'],
    });
  }
  let loaded: Promise<Slack> | undefined;
  const slack = () =>
    (loaded ??= import('./web-api-slack.ts').then((module) => module.createWebApiSlack(options)));
  return {
    mode: 'bot',
    interactive: true,
    postMessage: async (message) => (await slack()).postMessage(message),
    updateMessage: async (update) => (await slack()).updateMessage(update),
    respond: async (responseUrl, response) => (await slack()).respond(responseUrl, response),
  };
}
