// The Jira simulator's pages for people: the links the Release Agent prints (`{site}/browse/{KEY}`)
// resolve to a ticket page, and the board shows each ticket in its status's column.
import assert from 'node:assert/strict';
import { adfToHtml } from '../../../sandbox/sim/jira/pages.ts';
import { jiraOn, useJiraSimulator } from './jira-test-kit.ts';

describe('Jira simulator pages', () => {
  const context = useJiraSimulator();

  const page = async (url: string) => {
    const response = await fetch(url);
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      html: await response.text(),
    };
  };

  it('the ticket link the client returns resolves to its page: summary, description, status, fix version, comments', async () => {
    const { sim } = context;
    const jira = jiraOn(sim);
    const created = await jira.createStory({
      project: 'ALLPOST',
      summary: 'Login page <script>alert(1)</script>',
      description: 'First paragraph with **bold**.\n\n- one item\n- [a link](javascript:alert(2))',
    });
    await jira.transition(created.key, 'In Progress');
    await jira.ensureVersion('ALLPOST', 'Billo.Platform.Payment 1.4.0');
    await jira.addFixVersion(created.key, 'Billo.Platform.Payment 1.4.0');
    await jira.comment(created.key, 'Staged by the release agent <img src=x onerror=alert(3)>');

    assert.equal(created.url, `${sim.url}/browse/${created.key}`);
    const answer = await page(created.url);
    assert.equal(answer.status, 200);
    assert.match(answer.type ?? '', /^text\/html/);
    const { html } = answer;
    assert.ok(html.includes('Login page &lt;script&gt;alert(1)&lt;/script&gt;'), 'summary, escaped');
    assert.ok(!html.includes('<script>alert(1)'), 'no markup from the summary');
    assert.ok(html.includes('<p>First paragraph with <b>bold</b>.</p>'), 'description paragraphs from ADF');
    assert.match(html, /<ul><li><p>one item<\/p><\/li>/);
    assert.ok(!html.includes('href="javascript:'), 'a link only ever to http(s)');
    assert.match(html, /<td id="status"><span class="pill indeterminate" data-status="In Progress">/);
    assert.ok(html.includes('<td id="fix-versions">Billo.Platform.Payment 1.4.0</td>'));
    assert.ok(html.includes('Staged by the release agent &lt;img src=x onerror=alert(3)&gt;'), 'the comment');
    assert.ok(!html.includes('<img'), 'no markup from a comment');

    // Case as people type it; an unknown key is Jira's 404.
    assert.equal((await page(`${sim.url}/browse/${created.key.toLowerCase()}`)).status, 200);
    assert.equal((await page(`${sim.url}/browse/ALLPOST-999999`)).status, 404);
  });

  it('renders ADF links to http(s) only, and no markup from text', () => {
    const link = (href: string) => ({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [{ type: 'text', text: '<b>x</b>', marks: [{ type: 'link', attrs: { href } }] }],
        },
      ],
    });
    assert.equal(
      adfToHtml(link('https://example.com/a?b=1&c=2')),
      '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">&lt;b&gt;x&lt;/b&gt;</a></p>',
    );
    assert.equal(
      adfToHtml(link('javascript:alert(1)')),
      '<p><a href="#" rel="noopener noreferrer">&lt;b&gt;x&lt;/b&gt;</a></p>',
    );
  });

  it('the board shows each ticket in the column of its status', async () => {
    const { sim } = context;
    const todo = sim.state.createIssue({ project: 'ALLPOST', summary: 'Still to do' });
    const done = sim.state.createIssue({ project: 'ALLPOST', summary: 'Finished', status: 'Done' });
    const { status, html } = await page(`${sim.url}/jira/boards`);
    assert.equal(status, 200);
    const column = (name: string) =>
      html.match(new RegExp(`<section class="column" data-status="${name}">(.*?)</section>`))?.[1] ?? '';
    assert.ok(column('To Do').includes(`data-key="${todo.key}"`));
    assert.ok(!column('To Do').includes(`data-key="${done.key}"`));
    assert.ok(column('Done').includes(`data-key="${done.key}"`));
  });
});
