import assert from 'node:assert/strict';
import {
  ELLIPSIS,
  escapeMrkdwn,
  escapePlain,
  isLinkableUrl,
  slackLink,
  slackUserMention,
  truncateMrkdwn,
} from '../../core/slack-text.ts';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('core/slack-text', () => {
  describe('escapeMrkdwn', () => {
    const cases: Array<[string, string, string, { singleLine?: boolean }?]> = [
      ['Slack control characters', 'a & b < c > d', 'a &amp; b &lt; c &gt; d'],
      ['a channel mention', '<!channel> deploy now', '&lt;!channel&gt; deploy now'],
      ['a user mention', 'ping <@U123>', 'ping &lt;@U123&gt;'],
      ['a link token', '<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
      ['an entity typed by the user', '&lt;b&gt;', '&amp;lt;b&amp;gt;'],
      ['bold markers', '*bold* text', '\u2217bold\u2217 text'],
      ['italic markers', 'an _italic_ word', 'an \u02cditalic\u02cd word'],
      ['strike markers', '~gone~', '\u223cgone\u223c'],
      [
        'every backtick',
        'run `rm` and ```x```',
        'run \u02cbrm\u02cb and \u02cb\u02cb\u02cbx\u02cb\u02cb\u02cb',
      ],
      ['a backtick inside a word', 'a`b', 'a\u02cbb'],
      [
        'an underscore inside a branch name',
        'feature/ALLPOST-4028_login-page',
        'feature/ALLPOST-4028_login-page',
      ],
      ['snake_case', 'snake_case_name', 'snake_case_name'],
      ['a star inside a word', '2*3*4', '2*3*4'],
      ['dunder names', '__init__', '\u02cd\u02cdinit\u02cd\u02cd'],
      ['bidi overrides', 'abc\u202Efdp.exe', 'abcfdp.exe'],
      ['control characters', 'a\u0000b\u0007c\u001bd', 'abcd'],
      ['tabs and CRLF', 'a\tb\r\nc', 'a b\nc'],
      ['a wall of blank lines', 'a\n\n\n\n\nb', 'a\n\nb'],
      ['newlines on one line', '  title\nwith\n\nlines  ', 'title with lines', { singleLine: true }],
      ['emoji', 'ship it 🚀', 'ship it 🚀'],
    ];
    for (const [label, input, expected, options] of cases) {
      it(`${label}: ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        assert.equal(escapeMrkdwn(input, options), expected);
      });
    }

    const cuts: Array<[string, string, number, string]> = [
      ['short text is kept', 'hello', 5, 'hello'],
      ['long text ends with an ellipsis', 'hello world', 8, `hello w${ELLIPSIS}`],
      ['an entity is never cut', '&&&&&&', 12, `&amp;&amp;${ELLIPSIS}`],
      ['an emoji is never split', '😀😀😀😀', 6, `😀😀${ELLIPSIS}`],
      ['trailing space before the ellipsis is dropped', 'ab cd', 4, `ab${ELLIPSIS}`],
    ];
    for (const [label, input, max, expected] of cuts) {
      it(`${label} (max ${max})`, () => {
        const out = escapeMrkdwn(input, { max });
        assert.equal(out, expected);
        assert.ok(out.length <= max);
      });
    }

    it('a huge input fits the limit, whole entities and code points only', () => {
      const out = escapeMrkdwn('<😀&>'.repeat(10_000), { max: 3000 });
      assert.ok(out.length <= 3000 && out.endsWith(ELLIPSIS));
      assert.doesNotMatch(out, /&(?!amp;|lt;|gt;)/);
      assert.doesNotMatch(out, LONE_SURROGATE);
    });
  });

  describe('escapePlain', () => {
    const cases: Array<[string, string, string]> = [
      ['control characters only', '*bold* <!here> & `x`', '*bold* &lt;!here&gt; &amp; `x`'],
      ['one line', 'a\nb', 'a b'],
    ];
    for (const [label, input, expected] of cases) {
      it(`${label}: ${JSON.stringify(input)}`, () => assert.equal(escapePlain(input), expected));
    }

    it('cuts to the header limit', () => {
      const out = escapePlain('x'.repeat(500), { max: 150 });
      assert.equal(out.length, 150);
      assert.ok(out.endsWith(ELLIPSIS));
    });
  });

  describe('truncateMrkdwn', () => {
    const cases: Array<[string, string, number, string]> = [
      ['fits', 'short', 10, 'short'],
      ['drops a link whole', 'see <https://a.example/x|the page> now', 20, `see${ELLIPSIS}`],
      [
        'keeps a link that fits',
        'see <https://a.example|a> and more text',
        30,
        `see <https://a.example|a> and${ELLIPSIS}`,
      ],
      ['keeps entities whole', 'a &amp; b', 4, `a${ELLIPSIS}`],
    ];
    for (const [label, input, max, expected] of cases) {
      it(`${label}`, () => {
        const out = truncateMrkdwn(input, max);
        assert.equal(out, expected);
        assert.ok(out.length <= max);
      });
    }
  });

  describe('slackLink', () => {
    const cases: Array<[string, string | undefined, string, string]> = [
      [
        'a plain https link',
        'https://dev.azure.com/o/p/_git/r/pullrequest/1',
        'PR #1',
        '<https://dev.azure.com/o/p/_git/r/pullrequest/1|PR #1>',
      ],
      ['an http link', 'http://localhost:7071/x', 'local', '<http://localhost:7071/x|local>'],
      ['a query string', 'https://x.example/a?b=1&c=2', 'q', '<https://x.example/a?b=1&amp;c=2|q>'],
      [
        'an escaped label',
        'https://x.example/',
        '<!channel> *hi*',
        '<https://x.example/|&lt;!channel&gt; \u2217hi\u2217>',
      ],
      ['a pipe in the URL', 'https://evil.example|click', 'label', 'label'],
      ['a > in the URL', 'https://evil.example/>x', 'label', 'label'],
      ['a space in the URL', 'https://evil.example/a b', 'label', 'label'],
      ['javascript:', 'javascript:alert(1)', 'label', 'label'],
      ['mailto:', 'mailto:a@b.example', 'label', 'label'],
      ['a relative URL', '/_git/repo', 'label', 'label'],
      ['no URL', undefined, 'label & co', 'label &amp; co'],
      ['an empty label shows the URL', 'https://x.example/', '', '<https://x.example/|https://x.example/>'],
      ['an over-long URL', `https://x.example/${'a'.repeat(3000)}`, 'label', 'label'],
    ];
    for (const [label, url, text, expected] of cases) {
      it(`${label}`, () => assert.equal(slackLink(url, text), expected));
    }

    it('cuts a long label', () => {
      const out = slackLink('https://x.example/', 'y'.repeat(1000), { max: 50 });
      assert.equal(out, `<https://x.example/|${'y'.repeat(49)}${ELLIPSIS}>`);
    });

    const urls: Array<[string, boolean]> = [
      ['https://dev.azure.com/org', true],
      ['HTTPS://DEV.AZURE.COM/org', true],
      ['https://', false],
      ['ftp://x.example', false],
      ['https://a.example/"onmouseover', false],
      ['https://a.example/\u0000', false],
    ];
    for (const [url, ok] of urls) {
      it(`isLinkableUrl(${JSON.stringify(url)}) is ${ok}`, () => assert.equal(isLinkableUrl(url), ok));
    }
  });

  describe('slackUserMention', () => {
    const cases: Array<[string, string]> = [
      ['U123ABC', '<@U123ABC>'],
      ['W0ENTERPRISE', '<@W0ENTERPRISE>'],
      ['!channel', '!channel'],
      ['U1> <!here', 'U1&gt; &lt;!here'],
      ['alice', 'alice'],
    ];
    for (const [id, expected] of cases) {
      it(`${id} → ${expected}`, () => assert.equal(slackUserMention(id), expected));
    }
  });
});
