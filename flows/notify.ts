// A failure notice for Slack (the pipelines' `condition: failed()` step). A notification must never
// fail the pipeline further: every problem here is reported back as a warning, never thrown.
import type { Slack } from '../adapters/slack/slack.ts';
import { errorMessage } from '../core/errors.ts';
import { failureCard } from '../core/release-cards.ts';
import type { FlowContext } from './context.ts';

/** The flow context without the store (a failed run's step has none) plus Slack. */
export type NotifyDeps = Omit<FlowContext, 'store'> & {
  slack: Slack | undefined;
  channel?: string;
};

export interface NotifyInput {
  step: string;
  message: string;
  repo?: string;
  version?: string;
  runUrl?: string;
}

export type NotifyOutcome =
  | { kind: 'posted'; channel: string | undefined; ts: string | undefined }
  | { kind: 'no-slack' }
  | { kind: 'not-posted'; warning: string };

export async function notifyFailure(deps: NotifyDeps, input: NotifyInput): Promise<NotifyOutcome> {
  if (!deps.slack) return { kind: 'no-slack' };
  const card = failureCard({
    step: input.step,
    message: input.message,
    ...(input.repo ? { repo: input.repo } : {}),
    ...(input.version ? { version: input.version } : {}),
    ...(input.runUrl ? { runUrl: input.runUrl } : {}),
  });
  try {
    const posted = await deps.slack.postMessage({
      ...(deps.channel ? { channel: deps.channel } : {}),
      text: card.text,
      blocks: card.blocks,
    });
    return { kind: 'posted', channel: posted.channel, ts: posted.ts };
  } catch (error) {
    return { kind: 'not-posted', warning: `the Slack notification failed: ${errorMessage(error)}` };
  }
}
