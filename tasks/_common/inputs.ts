// How a task reads its named inputs beyond plain text: each parser names the input in its
// INPUT_INVALID error. Pure (no task-lib), so tests check the rules directly; TaskInputs
// (task-runtime.ts) reads an input and hands it to these.
import { errorMessage, ReleaseAgentError } from '../../core/errors.ts';
import { normalizeVersion } from '../../core/versions.ts';
import type { PipelineRef } from '../../flows/release-common.ts';

/** `12`, `12:Payments CI` items (already split on commas and new lines); INPUT_INVALID naming the input. */
export function parsePipelineList(items: readonly string[], input: string): PipelineRef[] {
  const pipelines: PipelineRef[] = [];
  for (const item of items) {
    const match = /^(\d{1,9})(?:\s*:\s*(.*))?$/.exec(item.trim());
    const id = match ? Number(match[1]) : 0;
    if (!match || id < 1) {
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `input "${input}" must list pipeline ids or id:name pairs, got "${item.slice(0, 80)}"`,
        { input },
      );
    }
    if (pipelines.some((pipeline) => pipeline.id === id)) continue;
    pipelines.push({ id, name: match[2]?.trim() || `pipeline ${id}` });
  }
  return pipelines;
}

/** `develop` → `refs/heads/develop`; a full ref is kept. */
export function branchRef(value: string, input: string): string {
  const ref = value.startsWith('refs/') ? value : `refs/heads/${value}`;
  if (!/^refs\/[^\s\\~^:?*[]+$/.test(ref) || ref.endsWith('/') || ref.includes('..')) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" is not a branch name: "${value.slice(0, 80)}"`,
      { input },
    );
  }
  return ref;
}

/** `x.y.z` from an input, INPUT_INVALID naming it otherwise. */
export function versionInput(value: string, input = 'version'): string {
  try {
    return normalizeVersion(value);
  } catch {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" must be a version x.y.z, got "${value.slice(0, 80)}"`,
      {
        input,
      },
    );
  }
}

/** Parses `templateParameters`: a JSON object of plain values, or key=value lines. */
export function parseTemplateParameters(text: string, input = 'templateParameters'): Record<string, string> {
  const trimmed = text.trim();
  if (!trimmed) return {};
  const invalid = (why: string) =>
    new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" must be a JSON object or key=value lines: ${why}`,
      { input },
    );
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw invalid(errorMessage(error));
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('not an object');
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw invalid(`the value of "${key}" is not a string, number or boolean`);
      }
      // Azure DevOps takes template parameters as strings and converts them by the parameter's type.
      values[key] = String(value);
    }
    return values;
  }
  const values: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    const key = at > 0 ? line.slice(0, at).trim() : '';
    if (!key) throw invalid(`"${line.trim().slice(0, 80)}" has no key=`);
    values[key] = line.slice(at + 1).trim();
  }
  return values;
}
