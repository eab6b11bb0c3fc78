// The simulator's web page: one channel's messages rendered from their blocks on the server, a small
// inline script that polls for changes every second and redraws only the messages that changed, and
// buttons that ask the simulator server (not the browser) to deliver the signed block_actions request.
import { escapeHtml, renderBlocks, renderMrkdwn, type UserNames } from './blocks.ts';
import type { InteractionDelivery } from './interactions.ts';
import type { SimChannel, SimMessage, SimUser } from './slack-simulator.ts';

export interface PageOptions {
  channels: readonly SimChannel[];
  users: readonly SimUser[];
  pollMs: number;
  interactionsUrl: string | undefined;
  /** Shown on first load, so the page reads without its script too. */
  messages: readonly SimMessage[];
  deliveries: readonly InteractionDelivery[];
}

export interface MessagesState {
  messages: { ts: string; revision: number; html: string }[];
  deliveriesHtml: string;
}

export function renderMessage(message: SimMessage, names: UserNames = new Map()): string {
  const author = message.source === 'webhook' ? 'incoming-webhook' : 'Release Agent';
  const time = new Date(Number(message.ts.split('.')[0]) * 1000).toISOString().slice(11, 19);
  const notes = [
    message.edited ? '<span class="note">(edited)</span>' : '',
    message.ephemeral ? '<span class="note">Only visible to you</span>' : '',
  ].join(' ');
  const body = message.deleted
    ? '<div class="deleted">This message was deleted.</div>'
    : message.blocks.length > 0
      ? renderBlocks(message.blocks, message.ts, names)
      : // A message without blocks: Slack formats its text as mrkdwn (mrkdwn: true is the default).
        `<div class="b-text">${renderMrkdwn(message.text, names)}</div>`;
  return (
    `<article class="message${message.ephemeral ? ' ephemeral' : ''}" id="m-${escapeHtml(message.ts)}" data-ts="${escapeHtml(message.ts)}" data-rev="${message.revision}">` +
    `<div class="meta"><b>${author}</b> <span class="app">APP</span> <time>${time}</time> ${notes} <span class="ts">${escapeHtml(message.ts)}</span></div>` +
    `${body}</article>`
  );
}

export function renderDeliveries(deliveries: readonly InteractionDelivery[]): string {
  if (deliveries.length === 0) return '<p class="empty">No button pressed yet.</p>';
  const rows = [...deliveries]
    .reverse()
    .map((delivery) => {
      const outcome = delivery.status === undefined ? 'no answer' : String(delivery.status);
      const good = delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300;
      return (
        `<tr class="${good ? 'ok' : 'failed'}" data-delivery="${delivery.id}">` +
        `<td>${escapeHtml(delivery.at.slice(11, 19))}</td><td>${escapeHtml(delivery.username)}</td>` +
        `<td><code>${escapeHtml(delivery.actionId)}</code></td><td><code>${escapeHtml(delivery.value)}</code></td>` +
        `<td class="status">${escapeHtml(outcome)}</td><td>${delivery.durationMs} ms</td>` +
        `<td>${escapeHtml(delivery.error ?? '')}</td></tr>`
      );
    })
    .join('');
  return `<table><thead><tr><th>time</th><th>user</th><th>action_id</th><th>value</th><th>app answered</th><th>took</th><th>note</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function userNames(users: readonly SimUser[]): UserNames {
  return new Map(users.map((user) => [user.id, user.name]));
}

export function renderMessagesState(
  messages: readonly SimMessage[],
  deliveries: readonly InteractionDelivery[],
  users: readonly SimUser[] = [],
): MessagesState {
  const names = userNames(users);
  return {
    messages: messages.map((message) => ({
      ts: message.ts,
      revision: message.revision,
      html: renderMessage(message, names),
    })),
    deliveriesHtml: renderDeliveries(deliveries),
  };
}

export function renderChannelPage(channel: SimChannel, options: PageOptions): string {
  const channelLinks = options.channels
    .map((candidate) => {
      const current = candidate.id === channel.id ? ' class="current"' : '';
      return `<li><a${current} href="/channels/${encodeURIComponent(candidate.id)}">#${escapeHtml(candidate.name)}</a></li>`;
    })
    .join('');
  const userOptions = options.users
    .map(
      (user) =>
        `<option value="${escapeHtml(user.id)}">${escapeHtml(user.name)} (@${escapeHtml(user.username)}, ${escapeHtml(user.id)})</option>`,
    )
    .join('');
  const target = options.interactionsUrl
    ? escapeHtml(options.interactionsUrl)
    : '<em>none configured: presses are recorded, not sent</em>';
  // Data for the script travels as JSON in a non-executable script element: no string splicing into code.
  const config = JSON.stringify({ channel: channel.id, pollMs: options.pollMs }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>#${escapeHtml(channel.name)} · Slack simulator</title>
<style>
  body { font: 15px/1.45 -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; display: flex; color: #1d1c1d; }
  nav { width: 220px; background: #3f0e40; color: #fff; min-height: 100vh; padding: 12px; box-sizing: border-box; }
  nav a { color: #cfc3cf; text-decoration: none; } nav a.current { color: #fff; font-weight: bold; }
  nav ul { list-style: none; padding: 0; } nav li { margin: 4px 0; }
  main { flex: 1; padding: 12px 20px; max-width: 900px; }
  .toolbar { display: flex; gap: 12px; align-items: center; padding: 8px 0; border-bottom: 1px solid #ddd; font-size: 13px; }
  .message { padding: 10px 0; border-bottom: 1px solid #eee; }
  .message.ephemeral { background: #f8f8f8; }
  .meta { font-size: 13px; color: #616061; } .meta b { color: #1d1c1d; }
  .app { background: #e8e8e8; font-size: 10px; padding: 1px 3px; border-radius: 2px; }
  .ts { color: #aaa; font-size: 11px; } .note { color: #888; }
  .b-header { font-size: 18px; font-weight: bold; margin: 6px 0; }
  .b-section { display: flex; gap: 12px; margin: 6px 0; } .b-body { flex: 1; white-space: pre-wrap; }
  .b-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
  .b-context { font-size: 12px; color: #616061; margin: 4px 0; white-space: pre-wrap; }
  .b-actions { display: flex; gap: 8px; margin: 8px 0; flex-wrap: wrap; }
  .b-divider { border: 0; border-top: 1px solid #ddd; }
  .btn { font: inherit; font-size: 14px; font-weight: bold; padding: 4px 14px; border: 1px solid #bbb; border-radius: 4px; background: #fff; cursor: pointer; }
  .btn.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  .btn.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
  .btn:disabled { opacity: .5; cursor: wait; }
  .deleted, .unsupported, .empty { color: #888; font-style: italic; }
  code { background: #f4f4f4; padding: 0 3px; border-radius: 3px; font-size: 13px; }
  .mention { background: #e8f5fa; color: #1264a3; }
  #status { font-size: 13px; min-height: 1.4em; }
  table { border-collapse: collapse; font-size: 12px; width: 100%; } td, th { border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; }
  tr.ok .status { color: #007a5a; font-weight: bold; } tr.failed .status { color: #e01e5a; font-weight: bold; }
</style>
</head>
<body>
<nav>
  <div><b>Sandbox</b> workspace</div>
  <ul>${channelLinks}</ul>
  <p style="font-size:12px">Interactions go to<br>${target}</p>
</nav>
<main>
  <div class="toolbar">
    <h2 style="margin:0">#${escapeHtml(channel.name)}</h2>
    <label>Click as <select id="user">${userOptions}</select></label>
  </div>
  <div id="status" role="status"></div>
  <section id="messages">${options.messages.map((message) => renderMessage(message, userNames(options.users))).join('')}</section>
  <h3>Button presses sent to the app</h3>
  <section id="deliveries">${renderDeliveries(options.deliveries)}</section>
</main>
<script type="application/json" id="sim-config">${config}</script>
<script>
(() => {
  const config = JSON.parse(document.getElementById('sim-config').textContent);
  const userSelect = document.getElementById('user');
  const status = document.getElementById('status');
  const list = document.getElementById('messages');
  const saved = localStorage.getItem('slack-sim-user');
  if (saved && [...userSelect.options].some((option) => option.value === saved)) userSelect.value = saved;
  userSelect.addEventListener('change', () => localStorage.setItem('slack-sim-user', userSelect.value));
  let version = -1;

  function apply(state) {
    version = state.version;
    if (state.unchanged) return;
    const seen = new Set();
    for (const message of state.messages) {
      seen.add(message.ts);
      const current = document.getElementById('m-' + message.ts);
      if (!current) list.insertAdjacentHTML('beforeend', message.html);
      else if (current.dataset.rev !== String(message.revision)) current.outerHTML = message.html;
    }
    for (const element of [...list.children]) if (!seen.has(element.dataset.ts)) element.remove();
    document.getElementById('deliveries').innerHTML = state.deliveriesHtml;
    document.body.dataset.version = String(version);
  }

  async function poll() {
    try {
      const response = await fetch('/ui/channels/' + encodeURIComponent(config.channel) + '/state?since=' + version);
      if (response.ok) apply(await response.json());
    } catch {
      // the simulator restarted or stopped: keep polling
    }
    setTimeout(poll, config.pollMs);
  }

  list.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action-id]');
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    status.textContent = 'Sending ' + button.dataset.actionId + '…';
    try {
      const response = await fetch('/ui/click', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: config.channel, ts: button.dataset.ts, actionId: button.dataset.actionId, userId: userSelect.value }),
      });
      const delivery = await response.json();
      status.textContent = response.ok
        ? button.dataset.actionId + ': app answered ' + (delivery.status ?? 'nothing') + (delivery.error ? ' (' + delivery.error + ')' : '')
        : 'Not sent: ' + delivery.error;
    } catch (error) {
      status.textContent = 'Not sent: ' + error;
    } finally {
      button.disabled = false;
      version = -1;
    }
  });

  poll();
})();
</script>
</body>
</html>`;
}
