import assert from 'node:assert/strict';
import { adfToText, parseInline, textToAdf } from '../../../core/adf.ts';
import { adfProblem } from '../../../sandbox/sim/jira/adf-check.ts';

const text = (value: string, ...marks: object[]) =>
  marks.length > 0 ? { type: 'text', text: value, marks } : { type: 'text', text: value };
const paragraph = (...content: object[]) => ({ type: 'paragraph', content });
const item = (...content: object[]) => ({ type: 'listItem', content: [paragraph(...content)] });

describe('ADF from plain text and simple Markdown', () => {
  it('makes paragraphs from blank-line separated text, keeping single line breaks', () => {
    assert.deepEqual(textToAdf('First line\nsecond line\n\n\nNext paragraph'), {
      type: 'doc',
      version: 1,
      content: [
        paragraph(text('First line'), { type: 'hardBreak' }, text('second line')),
        paragraph(text('Next paragraph')),
      ],
    });
  });

  it('makes an empty document from empty text (no empty text nodes, which Jira refuses)', () => {
    assert.deepEqual(textToAdf(' \n\n'), { type: 'doc', version: 1, content: [] });
  });

  it('makes bullet and ordered lists, nested by indentation', () => {
    const doc = textToAdf('Changes:\n- login\n  - faster\n* logout\n\n3. first\n4. second');
    assert.deepEqual(doc.content, [
      paragraph(text('Changes:')),
      {
        type: 'bulletList',
        content: [
          {
            type: 'listItem',
            content: [paragraph(text('login')), { type: 'bulletList', content: [item(text('faster'))] }],
          },
          item(text('logout')),
        ],
      },
      { type: 'orderedList', attrs: { order: 3 }, content: [item(text('first')), item(text('second'))] },
    ]);
  });

  it('starts a new list when the marker kind changes', () => {
    assert.deepEqual(
      textToAdf('- a\n1. b').content.map((block) => block.type),
      ['bulletList', 'orderedList'],
    );
  });

  it('makes headings, rules and fenced code blocks (code left verbatim)', () => {
    assert.deepEqual(textToAdf('## Risk #\n---\n```ts\nconst a = **b**;\n```').content, [
      { type: 'heading', attrs: { level: 2 }, content: [text('Risk')] },
      { type: 'rule' },
      { type: 'codeBlock', attrs: { language: 'ts' }, content: [text('const a = **b**;')] },
    ]);
  });

  it('marks strong, em, code and links, and leaves snake_case and lone stars alone', () => {
    assert.deepEqual(
      parseInline(
        '**Bold** and *em* in `x_y` see [PR 7](https://dev.azure.com/o/p/_git/r/pullrequest/7) for a_b_c * 2',
      ),
      [
        text('Bold', { type: 'strong' }),
        text(' and '),
        text('em', { type: 'em' }),
        text(' in '),
        text('x_y', { type: 'code' }),
        text(' see '),
        text('PR 7', { type: 'link', attrs: { href: 'https://dev.azure.com/o/p/_git/r/pullrequest/7' } }),
        text(' for a_b_c * 2'),
      ],
    );
  });

  it('links bare URLs without swallowing the sentence end', () => {
    assert.deepEqual(parseInline('Build: https://x.example/run?id=5.'), [
      text('Build: '),
      text('https://x.example/run?id=5', { type: 'link', attrs: { href: 'https://x.example/run?id=5' } }),
      text('.'),
    ]);
  });

  it('nests marks: strong inside a link', () => {
    assert.deepEqual(parseInline('[**v2**](https://x.example)'), [
      text('v2', { type: 'link', attrs: { href: 'https://x.example' } }, { type: 'strong' }),
    ]);
  });

  it('produces documents Jira accepts, for a mixed Markdown sample', () => {
    const sample =
      '# Summary\n\nAdds **retry** to `fetch`.\n\n- one\n  1. nested *em*\n- two https://a.example\n\n```\ncode\n```\n\n---\nEnd';
    assert.equal(adfProblem(textToAdf(sample)), undefined);
  });

  it('reads a document back as text, one line per block', () => {
    assert.equal(adfToText(textToAdf('Title line\n\n- a\n  - b\n\n2. c')), 'Title line\n- a\n  - b\n2. c');
  });
});
