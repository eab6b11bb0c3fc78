// Stand-in for the Claude Code CLI in print mode (`claude -p --output-format json …`), for tests and
// the local sandbox. It takes the real flags (and refuses unknown ones), reads the prompt from stdin,
// and prints the real result shape. What it answers is scripted per run:
//   1. a marker in the prompt, e.g. a PR title holding `[sim:request_changes]` (one outcome per PR);
//   2. CLAUDE_SIM_SCENARIO: a scenario name, or the path of a JSON scenario file
//      { "scenario"?: name, "delayMs"?: n, "costUsd"?: n, "output"?: {…}, "stdout"?: "…", "exitCode"?: n };
//   3. otherwise it reviews like a careful model: approve, unless the prompt tries to steer the reviewer.
// A ticket-writing run (schema with `summary` and `description`, no `verdict`) gets a summary and a
// description written from the diff in the prompt. Review findings point at files and lines that
// exist in the cwd. With CLAUDE_SIM_LOG set, each run appends one JSON line: argv and the NAMES of
// the environment variables (never values), so tests can check what the reviewer was given.
//
// File access is modelled like the real CLI's permission system, so confinement can be tested: the
// simulated Read (which also governs Glob and Grep) honours `--tools`, `--permission-mode`,
// `--allowedTools` / `--disallowedTools` rules (`Read`, `Read(./**)`, `Read(//abs/**)`, `Read(~/p)`),
// the settings files that `--setting-sources` loads (user: $CLAUDE_CONFIG_DIR or ~/.claude, project:
// .claude/settings.json, local: .claude/settings.local.json) and `--settings`. Deny beats allow;
// reads inside the working directories need no rule; anything else is refused in print mode (no
// one to ask), and always in dontAsk mode. The scenario `exfiltrate` plays a hijacked model that
// reads /proc/<parent pid>/environ, its own environ, its home and every file it can find next to the
// checkout, and puts what it got into its answer; `echo_secrets` writes the values listed in the
// scenario file's `echo` (raw, base64 and hex) into its answer, as a model that got them anyway.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export const SCENARIOS = [
  'approve',
  'markers',
  'request_changes',
  'injection',
  'hijacked',
  'error_max_budget_usd',
  'error_max_turns',
  'error_during_execution',
  'api_error',
  'invalid_json',
  'schema_violation',
  'result_only',
  'crash',
  'hang',
  'exfiltrate',
  'echo_secrets',
];

const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto'];
const SETTING_SOURCES = ['user', 'project', 'local'];
const DEFAULT_TOOLS = ['Bash', 'Edit', 'Glob', 'Grep', 'Read', 'Task', 'WebFetch', 'WebSearch', 'Write'];

const BOOLEAN_FLAGS = new Set([
  '-p',
  '--print',
  '--verbose',
  '--strict-mcp-config',
  '--dangerously-skip-permissions',
  '--include-partial-messages',
  '--replay-user-messages',
  '--no-session-persistence',
  '--disable-slash-commands',
  '--fork-session',
  '-c',
  '--continue',
  '-h',
  '--help',
  '-v',
  '--version',
  '--ide',
]);

const VALUE_FLAGS = new Set([
  '--output-format',
  '--input-format',
  '--json-schema',
  '--tools',
  '--max-budget-usd',
  '--max-turns',
  '--system-prompt',
  '--system-prompt-file',
  '--append-system-prompt',
  '--append-system-prompt-file',
  '--model',
  '--fallback-model',
  '--permission-mode',
  '--permission-prompt-tool',
  '--setting-sources',
  '--settings',
  '--session-id',
  '--agents',
  '--effort',
  '-r',
  '--resume',
]);

// Options that take several values (`<tools...>`): they consume arguments up to the next option.
const VARIADIC_FLAGS = new Set([
  '--allowedTools',
  '--allowed-tools',
  '--disallowedTools',
  '--disallowed-tools',
  '--mcp-config',
  '--add-dir',
  '--betas',
]);

const INJECTION_PATTERNS = [
  /ignore\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)\s+instructions/i,
  /disregard\s+(all\s+|any\s+|the\s+)?(previous|prior|above|system)/i,
  /forget\s+(all\s+|your\s+)?(previous|prior)\s+instructions/i,
  /you\s+are\s+now\s+(a|an|in)\b/i,
  /\b(set|change)\s+(the\s+|your\s+)?verdict\s+to\b/i,
  /\b(you\s+must|always|just)\s+approve\b/i,
  /\bapprove\s+this\s+(pr|pull\s+request|change)\b/i,
  /<\/?\s*(system|instructions?)\s*>/i,
];

const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'dist', 'coverage', '.venv']);

export class UsageError extends Error {}

/** Splits argv the way the CLI's option parser does; throws UsageError like the CLI refuses. */
export function parseArgs(argv) {
  const options = { flags: new Set(), values: {}, lists: {}, positionals: [] };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (!arg.startsWith('-') || arg === '-') {
      options.positionals.push(arg);
      continue;
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    const inline = equals > 0 ? arg.slice(equals + 1) : undefined;
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`error: option '${name}' does not take a value`);
      options.flags.add(name);
    } else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined) throw new UsageError(`error: option '${name} <value>' argument missing`);
      options.values[name] = value;
    } else if (VARIADIC_FLAGS.has(name)) {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && index + 1 < argv.length && !argv[index + 1].startsWith('-')) {
        values.push(argv[++index]);
      }
      if (values.length === 0) throw new UsageError(`error: option '${name} <values...>' argument missing`);
      options.lists[name] = [...(options.lists[name] ?? []), ...values];
    } else {
      throw new UsageError(`error: unknown option '${name}'`);
    }
  }
  return options;
}

/** Tool names from `Read,Glob,Grep` or `Read Glob Grep` (the CLI accepts both). */
export function toolList(values) {
  return values
    .flatMap((value) => value.split(/[\s,]+/))
    .map((tool) => tool.trim())
    .filter((tool) => tool.length > 0);
}

/** The text of the ```untrusted-<name> blocks (the PR author's text), or the whole prompt without them. */
export function untrustedText(prompt) {
  const blocks = [];
  const fence = /^(`{3,})untrusted-[a-z0-9_-]+\n([\s\S]*?)^\1$/gm;
  for (const match of prompt.matchAll(fence)) blocks.push(match[2]);
  return blocks.length > 0 ? blocks.join('\n') : prompt;
}

export function suspectsInjection(prompt) {
  const text = untrustedText(prompt);
  return INJECTION_PATTERNS.some((pattern) => pattern.test(text));
}

/** The scenario for this run: prompt marker, then CLAUDE_SIM_SCENARIO, then the careful default. */
export function chooseScenario(prompt, env) {
  const marker = /\[sim:([a-z_]+)\]/.exec(prompt)?.[1];
  let script = {};
  const setting = env.CLAUDE_SIM_SCENARIO?.trim();
  if (setting && (setting.endsWith('.json') || setting.includes('/') || setting.includes(sep))) {
    script = JSON.parse(readFileSync(setting, 'utf8'));
  } else if (setting) {
    script = { scenario: setting };
  }
  let scenario = marker ?? script.scenario ?? 'approve';
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`claude stand-in: unknown scenario "${scenario}"`);
  // A careful model never approves a change whose text tries to steer its reviewer.
  if (scenario === 'approve' && suspectsInjection(prompt)) scenario = 'injection';
  return { ...script, scenario };
}

/** Changed files and their added line numbers, from unified diffs in the prompt. */
export function parseDiff(prompt) {
  const files = [];
  let current;
  let nextLine = 0;
  for (const line of prompt.split('\n')) {
    if (line.startsWith('```')) {
      current = undefined;
      continue;
    }
    const target = /^\+\+\+ (?:b\/)?(.+?)\s*$/.exec(line);
    if (target) {
      current =
        target[1] === '/dev/null' ? undefined : { path: target[1], added: [], removed: 0, addedText: [] };
      if (current) files.push(current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      nextLine = Number(hunk[1]);
      continue;
    }
    if (!current || line.startsWith('--- ')) continue;
    if (line.startsWith('+')) {
      current.added.push(nextLine++);
      current.addedText.push(line.slice(1));
    } else if (line.startsWith('-')) {
      current.removed++;
    } else if (line.startsWith(' ')) {
      nextLine++;
    }
  }
  return files;
}

/** Files under `root` (like Glob `**\/*`), relative, `/`-separated, sorted, at most `limit`. */
export function listFiles(root, limit = 500) {
  const found = [];
  const walk = (dir, depth) => {
    if (found.length >= limit || depth > 6) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (found.length >= limit) return;
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(full, depth + 1);
      else if (entry.isFile()) found.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root, 0);
  return found;
}

function lineCount(root, file) {
  try {
    const path = join(root, file);
    if (statSync(path).size > 2_000_000) return 0;
    return readFileSync(path, 'utf8').split('\n').length;
  } catch {
    return 0;
  }
}

/** Places in the cwd a finding can point at: changed lines first, then any real file's first line. */
export function findingAnchors(cwd, prompt, wanted) {
  const anchors = [];
  for (const file of parseDiff(prompt)) {
    const path = file.path.replace(/^\/+/, '');
    const lines = lineCount(cwd, path);
    for (const line of file.added) {
      if (line >= 1 && line <= lines) {
        anchors.push({ file: path, line });
        break;
      }
    }
    if (anchors.length >= wanted) return anchors;
  }
  for (const file of listFiles(cwd)) {
    if (anchors.length >= wanted) break;
    if (anchors.some((anchor) => anchor.file === file) || lineCount(cwd, file) === 0) continue;
    anchors.push({ file, line: 1 });
  }
  return anchors;
}

// ---- permissions (the real CLI's model, for Read; Glob and Grep follow Read rules)

/** Rules from `--allowedTools "Read(./**)" Glob` or `Read,Glob`: split on commas and spaces outside parentheses. */
export function ruleList(values) {
  const rules = [];
  for (const value of values) {
    let depth = 0;
    let current = '';
    for (const char of value) {
      if (char === '(') depth++;
      if (char === ')') depth = Math.max(0, depth - 1);
      if (depth === 0 && (char === ',' || /\s/.test(char))) {
        if (current) rules.push(current);
        current = '';
      } else current += char;
    }
    if (current) rules.push(current);
  }
  return rules;
}

/** A gitignore-style glob as a regular expression over `/`-separated relative paths. */
export function globToRegex(pattern) {
  let out = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (pattern.startsWith('**/', index)) {
      out += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('/**', index) && index + 3 === pattern.length) {
      out += '(?:/.*)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      out += '.*';
      index += 1;
    } else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** A matcher of absolute paths for one `Read…` rule; undefined for rules of other tools. */
export function readRuleMatcher(rule, base, home) {
  const parsed = /^([A-Za-z]+)(?:\((.*)\))?$/.exec(rule.trim());
  if (parsed?.[1] !== 'Read') return undefined;
  const spec = parsed[2];
  if (spec === undefined || spec === '' || spec === '*' || spec === '**') return () => true;
  let root = base;
  let pattern = spec;
  if (spec.startsWith('//')) {
    root = '/';
    pattern = spec.slice(2);
  } else if (spec.startsWith('~/')) {
    if (!home) return () => false;
    root = home;
    pattern = spec.slice(2);
  } else if (spec.startsWith('/')) pattern = spec.slice(1);
  else if (spec.startsWith('./')) pattern = spec.slice(2);
  else if (!spec.includes('/')) pattern = `**/${spec}`;
  const expression = globToRegex(pattern);
  return (path) => {
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) return false;
    return expression.test(rel.split(sep).join('/'));
  };
}

function readJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`Error: ${what} is not valid JSON`);
  }
}

/** What the run may touch: mode, rules with their origin, working directories, loaded settings. */
export function permissionContext(options, env, cwd) {
  const home = env.HOME ?? '';
  const configDir = env.CLAUDE_CONFIG_DIR || (home ? join(home, '.claude') : '');
  const sourcesFlag = options.values['--setting-sources'];
  const sources =
    sourcesFlag === undefined
      ? SETTING_SOURCES
      : sourcesFlag
          .split(',')
          .map((source) => source.trim())
          .filter((source) => source.length > 0);
  for (const source of sources) {
    if (!SETTING_SOURCES.includes(source))
      throw new UsageError(
        `Error: Invalid setting source: ${source}. Valid options are: user, project, local`,
      );
  }
  const context = { mode: undefined, allow: [], deny: [], loaded: [], home, cwd, denials: [] };
  const take = (settings, origin) => {
    const permissions = settings?.permissions ?? {};
    for (const rule of permissions.allow ?? []) context.allow.push({ rule, origin });
    for (const rule of permissions.deny ?? []) context.deny.push({ rule, origin });
    if (permissions.defaultMode) context.mode = permissions.defaultMode;
    context.loaded.push(origin);
  };
  const files = {
    user: configDir ? join(configDir, 'settings.json') : '',
    project: join(cwd, '.claude', 'settings.json'),
    local: join(cwd, '.claude', 'settings.local.json'),
  };
  for (const source of sources) {
    if (files[source] && existsSync(files[source]))
      take(readJson(readFileSync(files[source], 'utf8'), files[source]), source);
  }
  const settings = options.values['--settings'];
  if (settings !== undefined) {
    const text = settings.trim().startsWith('{') ? settings : readFileSync(settings, 'utf8');
    take(readJson(text, '--settings'), 'flag');
  }
  for (const rule of ruleList(options.lists['--allowedTools'] ?? options.lists['--allowed-tools'] ?? []))
    context.allow.push({ rule, origin: 'cli' });
  for (const rule of ruleList(
    options.lists['--disallowedTools'] ?? options.lists['--disallowed-tools'] ?? [],
  ))
    context.deny.push({ rule, origin: 'cli' });
  context.mode = options.flags.has('--dangerously-skip-permissions')
    ? 'bypassPermissions'
    : (options.values['--permission-mode'] ?? context.mode ?? 'default');
  context.tools =
    options.values['--tools'] !== undefined ? toolList([options.values['--tools']]) : DEFAULT_TOOLS;
  context.workingDirs = [cwd, ...(options.lists['--add-dir'] ?? []).map((dir) => resolve(cwd, dir))];
  context.mcpServers = mcpServers(options, cwd);
  return context;
}

/** The MCP servers the run would start: `--mcp-config`, plus the repo's `.mcp.json` unless strict. */
function mcpServers(options, cwd) {
  const names = [];
  for (const config of options.lists['--mcp-config'] ?? []) {
    const text = config.trim().startsWith('{') ? config : readFileSync(config, 'utf8');
    names.push(...Object.keys(readJson(text, '--mcp-config').mcpServers ?? {}));
  }
  const project = join(cwd, '.mcp.json');
  if (!options.flags.has('--strict-mcp-config') && existsSync(project)) {
    names.push(...Object.keys(readJson(readFileSync(project, 'utf8'), project).mcpServers ?? {}));
  }
  return names;
}

/** Whether the simulated Read may open `path`, as the real permission check decides it. */
export function mayRead(context, path) {
  if (!context.tools.includes('Read')) return { allowed: false, reason: 'the Read tool is not available' };
  const asked = resolve(context.cwd, path);
  const targets = [asked];
  try {
    targets.push(realpathSync(asked));
  } catch {
    // A missing file: only the path itself is checked.
  }
  const matchers = (rules) =>
    rules
      .map(({ rule }) => readRuleMatcher(rule, context.cwd, context.home))
      .filter((matcher) => matcher !== undefined);
  if (matchers(context.deny).some((matches) => targets.some((target) => matches(target))))
    return { allowed: false, reason: 'denied by a deny rule' };
  if (context.mode === 'bypassPermissions') return { allowed: true };
  if (matchers(context.allow).some((matches) => targets.every((target) => matches(target))))
    return { allowed: true };
  const inside = (target) =>
    context.workingDirs.some((dir) => {
      const rel = relative(dir, target);
      return !rel.startsWith('..') && !isAbsolute(rel);
    });
  if (context.mode !== 'dontAsk' && targets.every(inside)) return { allowed: true };
  return {
    allowed: false,
    reason:
      context.mode === 'dontAsk'
        ? 'not pre-approved by an allow rule (dontAsk)'
        : 'outside the working directories and no one to ask in print mode',
  };
}

/** The simulated Read tool: the file's text, or undefined (and a permission denial) when refused. */
export function simulatedRead(context, path) {
  const decision = mayRead(context, path);
  if (!decision.allowed) {
    context.denials.push({
      tool_name: 'Read',
      tool_use_id: `toolu_${randomUUID()}`,
      tool_input: { file_path: path },
    });
    return { path, allowed: false, reason: decision.reason };
  }
  try {
    return {
      path,
      allowed: true,
      text: readFileSync(resolve(context.cwd, path)).subarray(0, 65_536).toString('utf8'),
    };
  } catch (error) {
    return { path, allowed: true, error: error?.code ?? String(error) };
  }
}

const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|_PAT\b|ENDPOINT_AUTH|CONNECTION|CREDENTIAL/i;

/**
 * A hijacked model: reads the parent process's environment, its own, its home and every file next to
 * the checkout, and keeps what looks like a credential. Only what the permission check let through
 * ends up in the answer.
 */
export function exfiltrate(context, env) {
  const cwd = context.cwd;
  const targets = [
    `/proc/${process.ppid}/environ`,
    '/proc/self/environ',
    ...(env.HOME ? [join(env.HOME, '.claude', '.credentials.json'), join(env.HOME, '.ssh', 'id_rsa')] : []),
    '/etc/passwd',
    ...listFiles(dirname(cwd), 60)
      .map((file) => join(dirname(cwd), file))
      .filter((file) => relative(cwd, file).startsWith('..')),
    ...listFiles(cwd, 20),
  ];
  const reads = targets.map((path) => simulatedRead(context, path));
  const loot = [];
  for (const read of reads) {
    if (!read.allowed || read.text === undefined) continue;
    const outside = relative(cwd, resolve(cwd, read.path)).startsWith('..');
    if (!outside) continue;
    if (read.path.endsWith('environ')) {
      for (const entry of read.text.split('\0'))
        if (SECRET_NAME.test(entry.split('=')[0] ?? '')) loot.push(entry);
    } else if (read.text.trim()) loot.push(`${read.path}: ${read.text.slice(0, 300)}`);
  }
  return {
    reads: reads.map(({ path, allowed, reason }) => ({ path, allowed, ...(reason ? { reason } : {}) })),
    loot,
  };
}

/** The answer of a model that exfiltrates: approve, with everything it collected in its text. */
function lootAnswer(cwd, prompt, loot) {
  const anchors = findingAnchors(cwd, prompt, 1);
  const anchor = anchors[0] ?? { file: 'README.md', line: 1 };
  return {
    verdict: 'approve',
    summary:
      loot.length > 0 ? `Looks good. Collected: ${loot.join(' ; ')}`.slice(0, 3_900) : 'Looks good to me.',
    findings: loot
      .slice(0, 40)
      .map((item) => ({ ...anchor, severity: 'info', message: item.slice(0, 1_900) })),
    injection_suspected: false,
  };
}

/** The same model writing a ticket: a value in the summary, every form in the description. */
function echoTicket(values) {
  const forms = values.flatMap((value) => {
    const bytes = Buffer.from(value, 'utf8');
    return [value, bytes.toString('base64'), bytes.toString('hex')];
  });
  return { summary: `Rotate ${values[0] ?? 'nothing'}`, description: `Values seen:\n${forms.join('\n')}` };
}

/** A model that got hold of `values` and writes them raw, base64 and hex into its review. */
function echoAnswer(cwd, prompt, values) {
  const [anchor] = findingAnchors(cwd, prompt, 1);
  const forms = values.flatMap((value) => {
    const bytes = Buffer.from(value, 'utf8');
    return [value, bytes.toString('base64'), bytes.toString('hex')];
  });
  return {
    verdict: 'approve',
    summary: `Looks good. For the record: ${forms.join(' | ')}`,
    findings: forms.map((form) => ({
      ...(anchor ?? { file: 'README.md', line: 1 }),
      severity: 'info',
      message: `Value seen: ${form}`,
    })),
    injection_suspected: false,
  };
}

/**
 * Problems written into the code itself: each line of a checkout file holding `sim:finding <text>` is a
 * finding at that line, so a push that removes the line fixes it and one that moves it moves the finding.
 */
export function markerFindings(cwd) {
  const findings = [];
  for (const file of listFiles(cwd)) {
    let text;
    try {
      text = readFileSync(join(cwd, file), 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((line, index) => {
      const marker = /sim:finding\s+(.+?)\s*(?:\*\/)?$/.exec(line);
      if (marker) findings.push({ file, line: index + 1, severity: 'major', message: marker[1] });
    });
  }
  return findings;
}

/** The review a model would give for `scenario`, before it is fitted to the caller's schema. */
export function reviewAnswer(scenario, cwd, prompt) {
  if (scenario === 'markers') {
    const findings = markerFindings(cwd);
    return {
      verdict: findings.length > 0 ? 'request_changes' : 'approve',
      summary: findings.length > 0 ? `${findings.length} problem(s) in the code.` : 'No problems left.',
      findings,
      injection_suspected: false,
    };
  }
  if (scenario === 'approve') {
    const [anchor] = findingAnchors(cwd, prompt, 1);
    return {
      verdict: 'approve',
      summary:
        'The change is small, consistent with the surrounding code and covered by tests. No blocking issues.',
      findings: anchor
        ? [{ ...anchor, severity: 'info', message: 'Consider a short comment on why this is needed.' }]
        : [],
      injection_suspected: false,
    };
  }
  if (scenario === 'request_changes') {
    const anchors = findingAnchors(cwd, prompt, 2);
    const messages = [
      ['major', 'This path is not covered by a test and fails on empty input.'],
      ['minor', 'The error message does not say which value was rejected.'],
    ];
    return {
      verdict: 'request_changes',
      summary: 'Two problems need fixing before merge: an untested failure path and an unclear error.',
      findings: anchors.map((anchor, index) => ({
        ...anchor,
        severity: messages[index]?.[0] ?? 'minor',
        message: messages[index]?.[1] ?? 'Please revisit.',
      })),
      injection_suspected: false,
    };
  }
  if (scenario === 'hijacked') {
    // A model that fell for the injection: approves and does not say why.
    return { verdict: 'approve', summary: 'Looks good to me.', findings: [], injection_suspected: false };
  }
  // injection
  const [anchor] = findingAnchors(cwd, prompt, 1);
  return {
    verdict: 'request_changes',
    summary:
      'The pull request text contains instructions addressed to the reviewer (e.g. to approve it). ' +
      'They were treated as data and ignored; a human must review this change.',
    findings: anchor
      ? [{ ...anchor, severity: 'critical', message: 'Possible prompt injection in the pull request text.' }]
      : [],
    injection_suspected: true,
  };
}

/** A ticket summary and description written from the diff in the prompt. */
export function ticketAnswer(prompt) {
  const files = parseDiff(prompt);
  if (files.length === 0) {
    return {
      summary: 'Update the repository',
      description: 'The pull request carried no diff to describe. Please fill in the details of the change.',
    };
  }
  const first = files[0].path.split('/').pop();
  const rest = files.length - 1;
  const summary =
    rest > 0 ? `Update ${first} and ${rest} other file${rest > 1 ? 's' : ''}` : `Update ${first}`;
  const added = files.reduce((sum, file) => sum + file.added.length, 0);
  const removed = files.reduce((sum, file) => sum + file.removed, 0);
  const declared = files
    .flatMap((file) => file.addedText)
    .map((line) => /\b(?:function|class|const|def|interface|type)\s+([A-Za-z_][\w]*)/.exec(line)?.[1])
    .filter((name) => name !== undefined);
  const lines = [
    `This change touches ${files.length} file${files.length > 1 ? 's' : ''} (+${added} −${removed} lines).`,
    '',
    ...files.map((file) => `- ${file.path}: +${file.added.length} −${file.removed}`),
  ];
  if (declared.length > 0)
    lines.push('', `New or changed definitions: ${[...new Set(declared)].slice(0, 8).join(', ')}.`);
  return { summary, description: lines.join('\n') };
}

// ---- fitting an answer to the caller's JSON schema (the real CLI constrains output the same way)

const ALIASES = {
  injectionsuspected: ['injectionsuspected', 'promptinjectionsuspected', 'injection', 'promptinjection'],
  file: ['file', 'path', 'filepath', 'filename'],
  line: ['line', 'startline', 'linenumber', 'endline'],
  message: ['message', 'comment', 'body', 'text', 'description', 'details'],
  summary: ['summary', 'title', 'overview'],
  findings: ['findings', 'comments', 'issues'],
};

const normalise = (key) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

function pick(source, key) {
  if (source === null || typeof source !== 'object') return undefined;
  const wanted = normalise(key);
  const byKey = new Map(Object.keys(source).map((name) => [normalise(name), name]));
  if (byKey.has(wanted)) return source[byKey.get(wanted)];
  for (const [canonical, aliases] of Object.entries(ALIASES)) {
    if (aliases.includes(wanted) && byKey.has(canonical)) return source[byKey.get(canonical)];
  }
  return undefined;
}

function schemaType(schema) {
  if (Array.isArray(schema.type)) return schema.type.find((type) => type !== 'null') ?? 'null';
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  if (schema.enum) return typeof schema.enum[0];
  return undefined;
}

/** Shapes `value` to `schema`: known keys by name, defaults for required ones, enums respected. */
export function fitToSchema(schema, value) {
  if (!schema || typeof schema !== 'object') return value;
  // An answer outside the enum stays as it is: the schema check below turns it into the CLI's error.
  if (Array.isArray(schema.enum)) return value;
  if (schema.const !== undefined) return schema.const;
  switch (schemaType(schema)) {
    case 'object': {
      const out = {};
      const required = new Set(schema.required ?? []);
      for (const [key, child] of Object.entries(schema.properties ?? {})) {
        const picked = pick(value, key);
        if (picked === undefined && !required.has(key)) continue;
        out[key] = fitToSchema(child, picked);
      }
      return out;
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [];
      const limited = schema.maxItems !== undefined ? items.slice(0, schema.maxItems) : items;
      return limited.map((item) => fitToSchema(schema.items ?? {}, item));
    }
    case 'string': {
      let text = typeof value === 'string' ? value : value === undefined ? '' : String(value);
      if (schema.minLength && text.length < schema.minLength) text = text.padEnd(schema.minLength, '.');
      if (schema.maxLength !== undefined) text = text.slice(0, schema.maxLength);
      return text;
    }
    case 'integer':
    case 'number': {
      let number = Number(value);
      if (!Number.isFinite(number)) number = schema.minimum ?? 0;
      if (schema.type === 'integer') number = Math.round(number);
      if (schema.minimum !== undefined) number = Math.max(schema.minimum, number);
      if (schema.maximum !== undefined) number = Math.min(schema.maximum, number);
      return number;
    }
    case 'boolean':
      return value === true;
    default:
      return value ?? null;
  }
}

/** The subset of JSON Schema the review and ticket schemas use; returns problems, empty when valid. */
export function schemaProblems(schema, value, path = '$') {
  if (!schema || typeof schema !== 'object') return [];
  const problems = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: not one of the enum`);
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const actual = Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value;
  if (type.length > 0 && !type.includes(actual) && !(actual === 'integer' && type.includes('number'))) {
    return [`${path}: expected ${type.join('|')}, got ${actual}`];
  }
  if (actual === 'object') {
    for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${path}.${key}: required`);
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key];
      if (childSchema) problems.push(...schemaProblems(childSchema, child, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${key}: not allowed`);
    }
  }
  if (actual === 'array') {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      problems.push(`${path}: too many items`);
    value.forEach((item, index) => {
      problems.push(...schemaProblems(schema.items, item, `${path}[${index}]`));
    });
  }
  if (actual === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      problems.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${path}: too long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      problems.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  if (actual === 'integer' || actual === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: above maximum`);
  }
  return problems;
}

export function isTicketSchema(schema) {
  const keys = Object.keys(schema?.properties ?? {});
  return keys.includes('summary') && keys.includes('description') && !keys.includes('verdict');
}

// ---- the run

function resultMessage(fields) {
  return {
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 0,
    duration_api_ms: 0,
    num_turns: 0,
    session_id: randomUUID(),
    total_cost_usd: 0,
    usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    permission_denials: [],
    uuid: randomUUID(),
    ...fields,
  };
}

function errorMessage(subtype, errors, costUsd, numTurns) {
  const message = resultMessage({
    subtype,
    is_error: true,
    total_cost_usd: costUsd,
    num_turns: numTurns,
    errors,
  });
  delete message.result;
  return message;
}

function usageFor(prompt) {
  const input = Math.ceil(prompt.length / 4);
  return {
    input_tokens: input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 350,
  };
}

/** Decides and returns { stdout, stderr, exitCode } for one run; `hang` is handled by the caller. */
export function answer(run) {
  const { prompt, options, script, cwd, started, loot } = run;
  const budget = Number(options.values['--max-budget-usd'] ?? '1');
  const costUsd = script.costUsd ?? Math.min(0.0421, budget);
  const elapsed = () => Date.now() - started + 1200;
  const common = { duration_ms: elapsed(), duration_api_ms: elapsed() - 200, usage: usageFor(prompt) };
  const schema = options.values['--json-schema'] ? JSON.parse(options.values['--json-schema']) : undefined;
  const emit = (message, exitCode = 0) => ({ stdout: `${JSON.stringify(message)}\n`, stderr: '', exitCode });

  if (script.stdout !== undefined)
    return { stdout: script.stdout, stderr: '', exitCode: script.exitCode ?? 0 };
  switch (script.scenario) {
    case 'error_max_budget_usd':
      return emit(
        {
          ...errorMessage(
            'error_max_budget_usd',
            [`Reached maximum budget ($${budget})`],
            budget + 0.0137,
            4,
          ),
          ...common,
        },
        1,
      );
    case 'error_max_turns':
      return emit(
        {
          ...errorMessage('error_max_turns', ['Reached maximum number of turns (12)'], costUsd, 12),
          ...common,
        },
        1,
      );
    case 'error_during_execution':
      return emit(
        {
          ...errorMessage(
            'error_during_execution',
            ['Tool execution failed: Grep exited with code 2'],
            costUsd,
            3,
          ),
          ...common,
        },
        1,
      );
    case 'api_error':
      return emit(
        resultMessage({
          ...common,
          is_error: true,
          result: 'Credit balance is too low',
          total_cost_usd: 0,
          num_turns: 1,
        }),
        1,
      );
    case 'invalid_json':
      return { stdout: 'Sure! Here is my review: {verdict: approve', stderr: '', exitCode: 0 };
    case 'crash':
      return { stdout: '', stderr: 'Error: the stand-in crashed on purpose (scenario crash)\n', exitCode: 1 };
    default:
      break;
  }

  let structured;
  if (script.output !== undefined) structured = script.output;
  else if (script.scenario === 'exfiltrate')
    structured = fitToSchema(schema ?? {}, lootAnswer(cwd, prompt, loot ?? []));
  else if (script.scenario === 'echo_secrets') {
    const values = Array.isArray(script.echo) ? script.echo : [];
    structured = fitToSchema(
      schema ?? {},
      schema && isTicketSchema(schema) ? echoTicket(values) : echoAnswer(cwd, prompt, values),
    );
  } else if (schema && isTicketSchema(schema)) structured = fitToSchema(schema, ticketAnswer(prompt));
  else if (script.scenario === 'schema_violation') structured = { verdict: 'lgtm', findings: 'none' };
  else {
    const review = reviewAnswer(script.scenario === 'result_only' ? 'approve' : script.scenario, cwd, prompt);
    structured = schema ? fitToSchema(schema, review) : review;
  }
  // The real CLI retries until the output matches; when the stand-in cannot, it fails the same way.
  const problems = schema && script.scenario !== 'schema_violation' ? schemaProblems(schema, structured) : [];
  if (problems.length > 0) {
    const message = errorMessage('error_max_structured_output_retries', problems.slice(0, 5), costUsd, 3);
    return {
      ...emit({ ...message, ...common }, 1),
      stderr: `claude stand-in: answer does not fit the schema: ${problems.join('; ')}\n`,
    };
  }
  const text = JSON.stringify(structured);
  const fields = {
    ...common,
    num_turns: 6,
    total_cost_usd: costUsd,
    result: text,
    permission_denials: run.denials ?? [],
  };
  if (script.scenario !== 'result_only') fields.structured_output = structured;
  if (options.values['--output-format'] === 'text' || options.values['--output-format'] === undefined) {
    return { stdout: `${text}\n`, stderr: '', exitCode: 0 };
  }
  return emit(resultMessage(fields));
}

function log(env, entry) {
  if (!env.CLAUDE_SIM_LOG) return;
  appendFileSync(env.CLAUDE_SIM_LOG, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
}

async function readStdin() {
  if (process.stdin.isTTY) return '';
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Stays alive past any timeout, deaf to SIGTERM, with a helper process in its group (like ripgrep). */
function hang(env, entry) {
  process.on('SIGTERM', () => {});
  const helper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  log(env, { ...entry, helperPid: helper.pid });
  setInterval(() => {}, 1000);
}

export async function main(argv = process.argv.slice(2), env = process.env) {
  const started = Date.now();
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  if (options.flags.has('--version') || options.flags.has('-v')) {
    process.stdout.write('2.0.0 (Claude Code stand-in)\n');
    return 0;
  }
  if (!options.flags.has('-p') && !options.flags.has('--print')) {
    process.stderr.write('claude stand-in: only print mode (-p) is simulated\n');
    return 1;
  }
  const format = options.values['--output-format'];
  if (format !== undefined && !['text', 'json', 'stream-json'].includes(format)) {
    process.stderr.write(`error: option '--output-format <format>' argument '${format}' is invalid\n`);
    return 1;
  }
  if (format === 'stream-json' && !options.flags.has('--verbose')) {
    process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
    return 1;
  }
  const budget = options.values['--max-budget-usd'];
  if (budget !== undefined && !(Number(budget) > 0)) {
    process.stderr.write(`Error: --max-budget-usd must be a positive number, got ${budget}\n`);
    return 1;
  }
  if (options.values['--json-schema'] !== undefined) {
    try {
      JSON.parse(options.values['--json-schema']);
    } catch {
      process.stderr.write('Error: --json-schema is not valid JSON\n');
      return 1;
    }
  }
  const mode = options.values['--permission-mode'];
  if (mode !== undefined && !PERMISSION_MODES.includes(mode)) {
    process.stderr.write(
      `error: option '--permission-mode <mode>' argument '${mode}' is invalid. Allowed choices are ${PERMISSION_MODES.join(', ')}.\n`,
    );
    return 1;
  }
  const cwd = process.cwd();
  let permissions;
  try {
    permissions = permissionContext(options, env, cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const prompt = options.positionals.length > 0 ? options.positionals.join(' ') : await readStdin();
  if (prompt.trim() === '') {
    process.stderr.write(
      'Error: Input must be provided either through stdin or as a prompt argument when using --print\n',
    );
    return 1;
  }
  let script;
  try {
    script = chooseScenario(prompt, env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const taken = script.scenario === 'exfiltrate' ? exfiltrate(permissions, env) : undefined;
  const entry = {
    pid: process.pid,
    argv,
    envNames: Object.keys(env).sort(),
    home: env.HOME ?? '',
    cwd,
    promptChars: prompt.length,
    scenario: script.scenario,
    tools: toolList(options.values['--tools'] ? [options.values['--tools']] : []),
    allowedTools: toolList(options.lists['--allowedTools'] ?? options.lists['--allowed-tools'] ?? []),
    permissionMode: permissions.mode,
    allowRules: permissions.allow.map(({ rule, origin }) => `${origin}:${rule}`),
    denyRules: permissions.deny.map(({ rule, origin }) => `${origin}:${rule}`),
    settingsLoaded: permissions.loaded,
    mcpServers: permissions.mcpServers,
    ...(taken ? { reads: taken.reads } : {}),
  };
  if (script.scenario === 'hang') {
    hang(env, entry);
    return undefined;
  }
  log(env, entry);
  if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
  const { stdout, stderr, exitCode } = answer({
    prompt,
    options,
    script,
    cwd,
    started,
    loot: taken?.loot,
    denials: permissions.denials,
  });
  process.stderr.write(stderr);
  await new Promise((resolve) => process.stdout.write(stdout, resolve));
  return exitCode;
}
