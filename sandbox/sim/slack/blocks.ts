// Block Kit in the Slack simulator: the checks Slack applies before accepting blocks (the subset our
// cards can break: types, text lengths, unique ids), the generated block ids Slack adds, and the
// HTML the page shows. Text is decoded from Slack's escaping (&amp; &lt; &gt;) and HTML-escaped again,
// so whatever a card holds is shown as text, never as markup.
import { randomBytes } from 'node:crypto';

export type SimBlock = Record<string, unknown>;

export interface SimButton {
  type: 'button';
  action_id: string;
  block_id: string;
  text: { type: string; text: string; emoji?: boolean };
  value?: string;
  style?: string;
  url?: string;
  confirm?: unknown;
}

const BLOCK_TYPES = new Set([
  'section',
  'divider',
  'image',
  'actions',
  'context',
  'input',
  'file',
  'header',
  'video',
  'rich_text',
  'markdown',
]);

const MAX_BLOCKS = 50;

/** Slack's validation messages for a blocks array, e.g. `must be less than 151 characters [json-pointer:/blocks/0/text/text]`. */
export function validateBlocks(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  const errors: string[] = [];
  if (blocks.length > MAX_BLOCKS)
    errors.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  blocks.forEach((value, index) => {
    const at = `/blocks/${index}`;
    if (!isObject(value)) {
      errors.push(`must be an object [json-pointer:${at}]`);
      return;
    }
    if (typeof value.type !== 'string' || !BLOCK_TYPES.has(value.type)) {
      errors.push(`must provide a known block type [json-pointer:${at}/type]`);
      return;
    }
    if (value.block_id !== undefined) {
      if (typeof value.block_id !== 'string' || value.block_id.length === 0 || value.block_id.length > 255) {
        errors.push(`must be a string of 1 to 255 characters [json-pointer:${at}/block_id]`);
      } else if (blockIds.has(value.block_id)) {
        errors.push(`duplicate block_id [json-pointer:${at}/block_id]`);
      } else blockIds.add(value.block_id);
    }
    switch (value.type) {
      case 'header':
        checkText(value.text, `${at}/text`, 150, errors, ['plain_text']);
        break;
      case 'section':
        if (value.text === undefined && value.fields === undefined)
          errors.push(`must provide either text or fields [json-pointer:${at}]`);
        if (value.text !== undefined) checkText(value.text, `${at}/text`, 3000, errors);
        if (value.fields !== undefined) {
          if (!Array.isArray(value.fields) || value.fields.length > 10)
            errors.push(`must be an array of at most 10 items [json-pointer:${at}/fields]`);
          else
            value.fields.forEach((field, i) => {
              checkText(field, `${at}/fields/${i}`, 2000, errors);
            });
        }
        if (value.accessory !== undefined)
          checkElement(value.accessory, `${at}/accessory`, actionIds, errors);
        break;
      case 'context':
        if (!Array.isArray(value.elements) || value.elements.length === 0 || value.elements.length > 10) {
          errors.push(`must be an array of 1 to 10 items [json-pointer:${at}/elements]`);
        } else {
          value.elements.forEach((element, i) => {
            if (isObject(element) && element.type === 'image') return;
            checkText(element, `${at}/elements/${i}`, 3000, errors);
          });
        }
        break;
      case 'actions':
        if (!Array.isArray(value.elements) || value.elements.length === 0 || value.elements.length > 25) {
          errors.push(`must be an array of 1 to 25 items [json-pointer:${at}/elements]`);
        } else {
          value.elements.forEach((element, i) => {
            checkElement(element, `${at}/elements/${i}`, actionIds, errors);
          });
        }
        break;
      default:
        break;
    }
  });
  return errors;
}

function checkText(
  value: unknown,
  at: string,
  max: number,
  errors: string[],
  types = ['plain_text', 'mrkdwn'],
): void {
  if (!isObject(value) || typeof value.type !== 'string' || !types.includes(value.type)) {
    errors.push(`must be a text object of type ${types.join(' or ')} [json-pointer:${at}]`);
    return;
  }
  if (typeof value.text !== 'string' || value.text.length === 0)
    errors.push(`must be a non-empty string [json-pointer:${at}/text]`);
  else if (value.text.length > max)
    errors.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

function checkElement(value: unknown, at: string, actionIds: Set<string>, errors: string[]): void {
  if (!isObject(value) || typeof value.type !== 'string') {
    errors.push(`must be an element object [json-pointer:${at}]`);
    return;
  }
  if (value.type !== 'button') return;
  checkText(value.text, `${at}/text`, 75, errors, ['plain_text']);
  if (value.action_id !== undefined) {
    if (typeof value.action_id !== 'string' || value.action_id.length === 0 || value.action_id.length > 255) {
      errors.push(`must be a string of 1 to 255 characters [json-pointer:${at}/action_id]`);
    } else if (actionIds.has(value.action_id)) {
      errors.push(`duplicate action_id [json-pointer:${at}/action_id]`);
    } else actionIds.add(value.action_id);
  }
  if (value.value !== undefined && (typeof value.value !== 'string' || value.value.length > 2000)) {
    errors.push(`must be a string of at most 2000 characters [json-pointer:${at}/value]`);
  }
  if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
    errors.push(`must be primary or danger [json-pointer:${at}/style]`);
  }
}

/** Slack gives every block without a block_id (and every button without an action_id) a generated one. */
export function withGeneratedIds(blocks: readonly SimBlock[]): SimBlock[] {
  return blocks.map((block) => {
    const copy: SimBlock = structuredClone(block);
    if (copy.block_id === undefined) copy.block_id = randomId();
    const elements = copy.type === 'actions' && Array.isArray(copy.elements) ? copy.elements : [];
    const accessory = copy.type === 'section' && isObject(copy.accessory) ? [copy.accessory] : [];
    for (const element of [...elements, ...accessory]) {
      if (isObject(element) && element.type === 'button' && element.action_id === undefined)
        element.action_id = randomId();
    }
    return copy;
  });
}

/** Every button of a message with the block it sits in. */
export function buttonsOf(blocks: readonly SimBlock[]): SimButton[] {
  const buttons: SimButton[] = [];
  for (const block of blocks) {
    const candidates =
      block.type === 'actions' && Array.isArray(block.elements)
        ? block.elements
        : block.type === 'section'
          ? [block.accessory]
          : [];
    for (const element of candidates) {
      if (isObject(element) && element.type === 'button') {
        buttons.push({
          ...(element as unknown as Omit<SimButton, 'block_id'>),
          block_id: String(block.block_id ?? ''),
        });
      }
    }
  }
  return buttons;
}

function randomId(): string {
  return randomBytes(4).toString('base64url').slice(0, 5);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// HTML

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Slack's own escaping undone: the text as a person reads it in Slack. */
function slackUnescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** User ids to display names, so `<@U123>` reads `@Alice Admin` as in Slack. */
export type UserNames = ReadonlyMap<string, string>;

const NO_NAMES: UserNames = new Map();

/** The shortcodes our cards and notes use, as Slack draws them; an unknown one stays as typed. */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  warning: '⚠️',
  rocket: '🚀',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  eyes: '👀',
  tada: '🎉',
  memo: '📝',
  package: '📦',
  lock: '🔒',
  robot_face: '🤖',
  red_circle: '🔴',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  information_source: 'ℹ️',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  '-1': '👎',
  recycle: '♻️',
  fire: '🔥',
};

/** On already escaped text: `:name:` of the table becomes its emoji. */
function emoji(escaped: string): string {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

/** mrkdwn as Slack shows it: `<url|label>` links, mentions, *bold*, _italic_, ~strike~, `code`, :emoji:;
 * everything else is text (escaped first, so tags are only ever the ones added here). */
export function renderMrkdwn(text: string, names: UserNames = NO_NAMES): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(/<([^<>]*)>/g)) {
    html += formatInline(escapeHtml(slackUnescape(text.slice(last, match.index))));
    html += renderAngle(match[1] ?? '', names);
    last = match.index + match[0].length;
  }
  html += formatInline(escapeHtml(slackUnescape(text.slice(last))));
  return html;
}

function renderAngle(inner: string, names: UserNames): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) {
    const name = label ?? names.get(target.slice(1)) ?? target.slice(1);
    return `<span class="mention">@${escapeHtml(slackUnescape(name))}</span>`;
  }
  if (target.startsWith('#'))
    return `<span class="mention">#${escapeHtml(slackUnescape(label ?? target.slice(1)))}</span>`;
  if (target.startsWith('!'))
    return `<span class="mention">@${escapeHtml(slackUnescape(label ?? target.slice(1)))}</span>`;
  if (/^https?:\/\//.test(target)) {
    return `<a href="${escapeHtml(slackUnescape(target))}" target="_blank" rel="noopener noreferrer">${escapeHtml(slackUnescape(label ?? target))}</a>`;
  }
  return escapeHtml(slackUnescape(`<${inner}>`));
}

/** On already escaped text: the inserted tags wrap escaped content only. */
function formatInline(escaped: string): string {
  return emoji(escaped)
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, '$1<s>$2</s>');
}

function renderText(value: unknown, names: UserNames): string {
  if (!isObject(value) || typeof value.text !== 'string') return '';
  // plain_text shows emoji shortcodes too (its `emoji` flag defaults to true).
  return value.type === 'mrkdwn'
    ? renderMrkdwn(value.text, names)
    : emoji(escapeHtml(slackUnescape(value.text)));
}

function renderButton(button: Record<string, unknown>, blockId: string, messageTs: string): string {
  const style = button.style === 'primary' || button.style === 'danger' ? ` ${button.style}` : '';
  const confirm = isObject(button.confirm) ? confirmText(button.confirm) : '';
  const attributes = [
    `class="btn${style}"`,
    `data-ts="${escapeHtml(messageTs)}"`,
    `data-action-id="${escapeHtml(String(button.action_id ?? ''))}"`,
    `data-block-id="${escapeHtml(blockId)}"`,
    `data-value="${escapeHtml(String(button.value ?? ''))}"`,
    confirm ? `data-confirm="${escapeHtml(confirm)}"` : '',
  ].filter(Boolean);
  return `<button type="button" ${attributes.join(' ')}>${renderText(button.text, NO_NAMES)}</button>`;
}

function confirmText(confirm: Record<string, unknown>): string {
  const parts = [confirm.title, confirm.text].map((part) =>
    isObject(part) && typeof part.text === 'string' ? slackUnescape(part.text) : '',
  );
  return parts.filter(Boolean).join('\n\n') || 'Are you sure?';
}

function renderElement(element: unknown, blockId: string, messageTs: string, names: UserNames): string {
  if (!isObject(element)) return '';
  if (element.type === 'button') return renderButton(element, blockId, messageTs);
  if (element.type === 'image')
    return `<span class="img">[image: ${escapeHtml(String(element.alt_text ?? ''))}]</span>`;
  if (element.type === 'mrkdwn' || element.type === 'plain_text')
    return `<span>${renderText(element, names)}</span>`;
  return `<span class="unsupported">[${escapeHtml(String(element.type))}]</span>`;
}

export function renderBlocks(
  blocks: readonly SimBlock[],
  messageTs: string,
  names: UserNames = NO_NAMES,
): string {
  return blocks
    .map((block) => {
      const blockId = String(block.block_id ?? '');
      switch (block.type) {
        case 'header':
          return `<div class="b-header">${renderText(block.text, names)}</div>`;
        case 'section': {
          const text =
            block.text === undefined ? '' : `<div class="b-text">${renderText(block.text, names)}</div>`;
          const fields = Array.isArray(block.fields)
            ? `<div class="b-fields">${block.fields.map((field) => `<div>${renderText(field, names)}</div>`).join('')}</div>`
            : '';
          const accessory =
            block.accessory === undefined
              ? ''
              : `<div class="b-accessory">${renderElement(block.accessory, blockId, messageTs, names)}</div>`;
          return `<div class="b-section"><div class="b-body">${text}${fields}</div>${accessory}</div>`;
        }
        case 'context': {
          const elements = Array.isArray(block.elements) ? block.elements : [];
          return `<div class="b-context">${elements.map((element) => renderElement(element, blockId, messageTs, names)).join(' ')}</div>`;
        }
        case 'divider':
          return '<hr class="b-divider">';
        case 'actions': {
          const elements = Array.isArray(block.elements) ? block.elements : [];
          return `<div class="b-actions">${elements.map((element) => renderElement(element, blockId, messageTs, names)).join('')}</div>`;
        }
        case 'image':
          return `<div class="b-image">[image: ${escapeHtml(String(block.alt_text ?? ''))}]</div>`;
        default:
          return `<div class="unsupported">[${escapeHtml(String(block.type))} block]</div>`;
      }
    })
    .join('');
}
