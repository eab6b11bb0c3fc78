// Shared bits of the simulators' HTML pages (Jira tickets and board, Azure DevOps PR, run and environment
// pages). Everything shown comes from callers' data, much of it written by whoever opened a PR or a
// ticket: every value goes through escapeHtml, and links only ever point at http(s) URLs.

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An href for a URL of the http(s) schemes, escaped; anything else (javascript:, data:) gives '#'. */
export function safeHref(url: string): string {
  return /^https?:\/\//i.test(url) ? escapeHtml(url) : '#';
}

/** A whole page: the title escaped here, `body` already HTML. */
export function htmlPage(title: string, body: string, accent = '#0052cc'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #172b4d; }
  header.bar { background: ${accent}; color: #fff; padding: 8px 20px; font-weight: bold; }
  header.bar a { color: #fff; }
  main { padding: 12px 20px; max-width: 1100px; }
  .pill { display: inline-block; padding: 0 8px; border-radius: 3px; background: #dfe1e6; font-size: 12px; font-weight: bold; text-transform: uppercase; }
  .pill.done, .pill.succeeded, .pill.approved, .pill.completed { background: #e3fcef; color: #006644; }
  .pill.indeterminate, .pill.inProgress, .pill.pending, .pill.active { background: #deebff; color: #0747a6; }
  .pill.failed, .pill.rejected, .pill.abandoned, .pill.canceled { background: #ffebe6; color: #bf2600; }
  table { border-collapse: collapse; } td, th { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
  .muted { color: #6b778c; font-size: 12px; }
  .card { border: 1px solid #dfe1e6; border-radius: 4px; padding: 8px 12px; margin: 8px 0; background: #fff; }
  .columns { display: flex; gap: 12px; align-items: flex-start; }
  .column { flex: 1; background: #f4f5f7; border-radius: 4px; padding: 8px; min-height: 80px; }
  pre { background: #f4f5f7; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
  button { font: inherit; font-weight: bold; padding: 3px 12px; border-radius: 3px; border: 1px solid #bbb; cursor: pointer; }
  button.approve { background: #107c10; color: #fff; border-color: #107c10; }
  button.reject { background: #a80000; color: #fff; border-color: #a80000; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}

export function htmlResponse(status: number, html: string) {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

/**
 * Markdown as Azure DevOps shows a PR description or a run summary, enough to read: `#` headings,
 * `-`/`*` list items, `|` tables, **bold**, `code`, [text](url) links (http(s) only). Escaped first, so
 * the only tags are the ones added here.
 */
export function markdownToHtml(markdown: string): string {
  const inline = (text: string) =>
    escapeHtml(text)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
      .replace(
        /\[([^\]]*)\]\(([^)\s]+)\)/g,
        (_whole, label: string, url: string) =>
          // url is escaped already: safeHref would escape it twice.
          `<a href="${/^https?:\/\//i.test(url) ? url : '#'}" rel="noopener noreferrer">${label}</a>`,
      );
  const html: string[] = [];
  let list = false;
  let table = false;
  const close = () => {
    if (list) html.push('</ul>');
    if (table) html.push('</table>');
    list = false;
    table = false;
  };
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*[-*+]\s+(.*)$/.exec(line);
    if (/^\s*\|.*\|\s*$/.test(line)) {
      if (/^\s*\|[\s|:-]+\|\s*$/.test(line)) continue;
      if (!table) close();
      if (!table) html.push('<table class="md">');
      table = true;
      const cells = line.trim().slice(1, -1).split('|');
      html.push(`<tr>${cells.map((cell) => `<td>${inline(cell.trim())}</td>`).join('')}</tr>`);
    } else if (item) {
      if (!list) close();
      if (!list) html.push('<ul>');
      list = true;
      html.push(`<li>${inline(item[1] ?? '')}</li>`);
    } else {
      close();
      if (heading) html.push(`<h${heading[1]!.length}>${inline(heading[2] ?? '')}</h${heading[1]!.length}>`);
      else if (line.trim()) html.push(`<p>${inline(line)}</p>`);
    }
  }
  close();
  return html.join('\n');
}
