// A press on a gate card's button, as Slack sends it in block_actions (the workspace, app and channel
// the sandbox configures); tests sign it with signedSlackRequest and vary who, where and on what.
/** A block_actions payload as Slack sends it for a press on a card's button. */
export function cardPress(
  at: { channel: string; ts: string },
  actionId: string,
  value: string,
  userId: string,
  slackUrl: string,
) {
  return {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0RELEASEAGENT',
    container: { type: 'message', message_ts: at.ts, channel_id: at.channel, is_ephemeral: false },
    trigger_id: `trigger-${Math.random()}`,
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    channel: { id: at.channel, name: 'releases' },
    message: { type: 'message', ts: at.ts, text: 'card', blocks: [] },
    response_url: `${slackUrl}/actions/T0SANDBOX/1/abc`,
    actions: [
      { action_id: actionId, block_id: 'b', value, type: 'button', action_ts: `${Date.now() / 1000}` },
    ],
  };
}
