// Text for Slack: escaping of untrusted strings, safe links and Block Kit length limits. Pure.
//
// Escaping choices (Slack has no escape syntax for mrkdwn formatting):
// - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's documented escaping). That alone makes
//   `<!channel>`, `<@U123>`, `<#C123>`, `<!date…>` and `<url|label>` inert: they show as text.
// - Formatting markers are replaced by look-alike characters, and only where Slack could read
//   them as markers: `*` `_` `~` next to a non-alphanumeric character (or the edge of the text), and
//   every backtick (a stray one could open a code span or block that swallows the card's own text).
//   Markers inside a word (`feature/ALLPOST-1_login`, `snake_case`) are left alone: Slack only
//   formats at word boundaries, so branch names and paths stay exact. No zero-width characters:
//   they survive copy-paste invisibly.
// - Control and bidirectional-override characters are removed (a title must not reorder itself).
// - In multi-line text a line starting with `&gt;` still renders as a quote: cosmetic, and it ends
//   with its line, so it cannot reach the card's own text.
// - Every mrkdwn text object the cards emit sets `verbatim: true`, so bare URLs, `#channel` and
//   `@here` in user text are not auto-linked or parsed either.
// - plain_text (headers, buttons) does not render markup; it only gets `&<>` escaped.

/** Block Kit limits (characters) that the cards must respect. */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  contextText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  /** Top-level fallback text: Slack accepts more, but notifications only show the start. */
  fallbackText: 3000,
  /** A link's URL; longer ones are shown as text (a link must fit its section). */
  url: 2000,
  fields: 10,
  contextElements: 10,
  blocks: 50,
} as const;

export const ELLIPSIS = '…';

export interface EscapeOptions {
  /** Maximum length of the escaped result; longer text is cut and ends with an ellipsis. */
  max?: number;
  /** Collapse every run of whitespace (newlines included) into one space: for titles, names, branches. */
  singleLine?: boolean;
}

const LOOKALIKE: Record<string, string> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02cd', // ˍ modifier letter low macron
  '~': '\u223c', // ∼ tilde operator
  '`': '\u02cb', // ˋ modifier letter grave accent
};

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

// C0/C1 controls except tab and newline, and the bidi embedding/override/isolate characters.
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const isWordChar = (char: string | undefined): boolean => char !== undefined && /^[A-Za-z0-9]$/.test(char);

function normalise(text: string, singleLine: boolean): string {
  const clean = text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(UNSAFE_CHARS, '');
  if (singleLine) return clean.replace(/\s+/g, ' ').trim();
  // Keep paragraphs, but not a wall of blank lines.
  return clean
    .replace(/[ \u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Escapes an untrusted string for a mrkdwn text object (see the choices above). */
export function escapeMrkdwn(text: string, options: EscapeOptions = {}): string {
  const chars = Array.from(normalise(text, options.singleLine ?? false));
  const pieces = chars.map((char, index) => {
    const entity = ENTITY[char];
    if (entity) return entity;
    const lookalike = LOOKALIKE[char];
    if (lookalike === undefined) return char;
    if (char === '`') return lookalike;
    return isWordChar(chars[index - 1]) && isWordChar(chars[index + 1]) ? char : lookalike;
  });
  return fitPieces(pieces, options.max);
}

/** Escapes an untrusted string for a plain_text object: no markup there, only Slack's control characters. */
export function escapePlain(text: string, options: EscapeOptions = {}): string {
  const pieces = Array.from(normalise(text, options.singleLine ?? true), (char) => ENTITY[char] ?? char);
  return fitPieces(pieces, options.max);
}

/**
 * Cuts already-composed mrkdwn to `max` characters without breaking an entity (`&amp;`) or a
 * `<…>` token (link, mention): those are kept whole or dropped whole.
 */
export function truncateMrkdwn(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  return fitPieces(mrkdwn.match(/<[^<>]*>|&(?:amp|lt|gt);|[\s\S]/gu) ?? [], max);
}

/** Joins pieces, cutting at a piece boundary so the result (ellipsis included) is at most `max`. */
function fitPieces(pieces: readonly string[], max: number | undefined): string {
  const whole = pieces.join('');
  if (max === undefined || whole.length <= max) return whole;
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out.trimEnd() + ELLIPSIS;
}

/** True when `url` may go inside `<url|label>`: http(s), parseable, nothing that ends or splits the token. */
export function isLinkableUrl(url: string): boolean {
  if (url.length === 0 || url.length > SLACK_LIMITS.url) return false;
  if (!/^https?:\/\//i.test(url) || /[\s|<>"\u0000-\u001f\u007f]/.test(url)) return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * A mrkdwn link `<url|label>` with the label escaped. A URL that is not a plain http(s) URL (or
 * would break the token) yields the escaped label as text, never a link.
 */
export function slackLink(url: string | undefined, label: string, options: { max?: number } = {}): string {
  const text = escapeMrkdwn(label, { singleLine: true, max: options.max ?? 300 });
  const shown =
    text.length > 0 ? text : escapeMrkdwn(url ?? '', { singleLine: true, max: options.max ?? 300 });
  if (url === undefined || !isLinkableUrl(url)) return shown;
  // Slack decodes entities inside the token too, so a query string's `&` is written `&amp;`.
  return `<${url.replace(/&/g, '&amp;')}|${shown}>`;
}

/** A Slack user mention for a real-looking user id; anything else is escaped text. */
export function slackUserMention(userId: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(userId)
    ? `<@${userId}>`
    : escapeMrkdwn(userId, { singleLine: true, max: 100 });
}
