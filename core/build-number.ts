// Azure DevOps build numbers may not hold `" / : < > ' \ | ? @ *` or control characters, may not end
// with a dot, and are at most 255 characters long.
const FORBIDDEN = /["/:<>'\\|?@*\u0000-\u001f\u007f]/g;

/** `<repo> <version>` (plus `+<buildId>` when given) with only the characters a build number may hold. */
export function buildNumberFor(repo: string, version: string, buildId?: string): string {
  const raw = `${repo} ${version}${buildId ? `+${buildId}` : ''}`;
  const clean = raw
    .replace(FORBIDDEN, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255)
    .replace(/[.\s]+$/, '');
  return clean || version;
}
