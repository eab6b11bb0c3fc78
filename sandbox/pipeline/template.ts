// Compiles one of our YAML templates with the parameters a pipeline passes, the way Azure Pipelines
// does before a run starts: parameters checked against their declarations (type, allowed values,
// required), `${{ parameters.x }}` and `${{ step }}` substituted, `${{ if … }}` and `${{ each … }}`
// insertions applied, then the result read as stages → jobs → steps with only the keys our templates
// use. Runtime syntax (`$(var)`, `$[ … ]`, conditions) is left for the runner. Anything else is
// TEMPLATE_UNSUPPORTED, so a template and this runner cannot drift apart silently.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { SandboxError } from '../errors.ts';
import {
  COMPARISON_FUNCTIONS,
  type ExpressionContext,
  evaluate,
  evaluateCondition,
  parseExpression,
  toText,
} from './expressions.ts';

export interface TaskStep {
  kind: 'task';
  /** Task name and major version of `task: Name@1`. */
  task: string;
  major: number;
  /** The step's `name` (its outputs are `<name>.<variable>`). */
  name?: string;
  displayName: string;
  condition?: string;
  inputs: Record<string, string>;
}

export interface CheckoutStep {
  kind: 'checkout';
  repository: 'self' | 'none';
  displayName: string;
}

export interface DownloadStep {
  kind: 'download';
  displayName: string;
}

/** A team's own step (`script:`): not ours, the sandbox shows it as a log line. */
export interface ScriptStep {
  kind: 'script';
  script: string;
  name?: string;
  displayName: string;
  condition?: string;
}

export type Step = TaskStep | CheckoutStep | DownloadStep | ScriptStep;

export interface Job {
  name: string;
  displayName: string;
  /** A deployment job runs on `environment` and waits for its checks first. */
  environment?: string;
  timeoutInMinutes?: number;
  steps: Step[];
}

export interface Stage {
  name: string;
  displayName: string;
  dependsOn: string[];
  condition?: string;
  /** Stage variables as written: literal text or a `$[ … ]` runtime expression. */
  variables: Record<string, string>;
  jobs: Job[];
}

export interface CompiledPipeline {
  template: string;
  stages: Stage[];
}

/** What the compiler needs to know of a task (from its task.json). */
export interface TaskManifest {
  name: string;
  major: number;
  inputs: { name: string; aliases?: string[]; defaultValue?: string }[];
  outputVariables: { name: string }[];
}

export interface CompileOptions {
  /** Name of the job a steps-only template runs in (the including pipeline's job). */
  jobName?: string;
  /**
   * The task.json of `Name@major` or `publisher.extension.contribution.Name@major` (the reference as
   * written, without `@major`); throw when there is none, or when a short name is ambiguous.
   */
  taskManifest: (reference: string, major: number) => TaskManifest;
}

type Yaml = unknown;
type Mapping = Record<string, Yaml>;

const isMapping = (node: Yaml): node is Mapping =>
  typeof node === 'object' && node !== null && !Array.isArray(node);
const DIRECTIVE = /^\$\{\{\s*([\s\S]*?)\s*\}\}$/;
const EMBEDDED = /\$\{\{\s*([\s\S]*?)\s*\}\}/g;

function invalid(template: string, message: string, fields: Record<string, string> = {}): SandboxError {
  return new SandboxError('TEMPLATE_INVALID', `${template}: ${message}`, { template, ...fields });
}

function unsupported(template: string, message: string, fields: Record<string, string> = {}): SandboxError {
  return new SandboxError('TEMPLATE_UNSUPPORTED', `${template}: ${message}`, { template, ...fields });
}

interface ParameterDeclaration {
  name: string;
  type: 'string' | 'boolean' | 'number' | 'object' | 'stepList';
  default?: Yaml;
  values?: Yaml[];
}

const PARAMETER_KEYS = new Set(['name', 'displayName', 'type', 'default', 'values']);
const PARAMETER_TYPES = new Set(['string', 'boolean', 'number', 'object', 'stepList']);

function declarations(template: string, node: Yaml): ParameterDeclaration[] {
  if (node === undefined) return [];
  if (!Array.isArray(node)) throw unsupported(template, 'parameters must be a list of declarations');
  return node.map((item) => {
    if (!isMapping(item) || typeof item.name !== 'string')
      throw unsupported(template, 'each parameter needs a name');
    for (const key of Object.keys(item))
      if (!PARAMETER_KEYS.has(key))
        throw unsupported(template, `parameter ${item.name}: key "${key}"`, { key });
    const type = (item.type ?? 'string') as string;
    if (!PARAMETER_TYPES.has(type)) throw unsupported(template, `parameter ${item.name}: type ${type}`);
    return {
      name: item.name,
      type: type as ParameterDeclaration['type'],
      ...('default' in item ? { default: item.default } : {}),
      ...(Array.isArray(item.values) ? { values: item.values } : {}),
    };
  });
}

/** The parameters of a run: given ones checked and typed, defaults for the rest; Azure DevOps' refusals otherwise. */
function bindParameters(
  template: string,
  declared: ParameterDeclaration[],
  given: Record<string, unknown>,
): Record<string, Yaml> {
  const bound: Record<string, Yaml> = {};
  for (const name of Object.keys(given)) {
    if (!declared.some((parameter) => parameter.name === name))
      throw invalid(template, `unexpected parameter '${name}'`, { parameter: name });
  }
  for (const parameter of declared) {
    const hasValue = Object.hasOwn(given, parameter.name) && given[parameter.name] !== undefined;
    if (!hasValue && !('default' in parameter))
      throw invalid(template, `a value for the '${parameter.name}' parameter must be provided`, {
        parameter: parameter.name,
      });
    let value = hasValue ? given[parameter.name] : parameter.default;
    switch (parameter.type) {
      case 'string':
        if (typeof value !== 'string')
          throw invalid(template, `parameter '${parameter.name}' must be a string`);
        break;
      case 'boolean':
        if (value === 'true' || value === 'false') value = value === 'true';
        if (typeof value !== 'boolean')
          throw invalid(template, `parameter '${parameter.name}' must be a boolean`);
        break;
      case 'number':
        if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) value = Number(value);
        if (typeof value !== 'number')
          throw invalid(template, `parameter '${parameter.name}' must be a number`);
        break;
      case 'stepList':
        if (!Array.isArray(value) || !value.every(isMapping))
          throw invalid(template, `parameter '${parameter.name}' must be a list of steps`);
        break;
      case 'object':
        break;
    }
    if (parameter.values && !parameter.values.some((allowed) => allowed === value))
      throw invalid(template, `parameter '${parameter.name}' must be one of ${parameter.values.join(', ')}`);
    bound[parameter.name] = value as Yaml;
  }
  return bound;
}

/** `${{ … }}` expansion over the YAML tree. */
class Expander {
  constructor(
    private readonly template: string,
    private readonly parameters: Record<string, Yaml>,
  ) {}

  private context(scope: Record<string, Yaml>, where: string): ExpressionContext {
    return {
      roots: { parameters: this.parameters, ...scope },
      functions: COMPARISON_FUNCTIONS,
      where: `${this.template} (${where})`,
    };
  }

  private value(text: string, scope: Record<string, Yaml>): Yaml {
    return evaluate(parseExpression(text), this.context(scope, `\${{ ${text} }}`), text) as Yaml;
  }

  expand(node: Yaml, scope: Record<string, Yaml>): Yaml {
    if (typeof node === 'string') return this.string(node, scope);
    if (Array.isArray(node)) return this.sequence(node, scope);
    if (isMapping(node)) return this.mapping(node, scope);
    return node;
  }

  private string(text: string, scope: Record<string, Yaml>): Yaml {
    const whole = DIRECTIVE.exec(text.trim());
    if (whole && !(whole[1] as string).includes('}}')) return this.value(whole[1] as string, scope);
    return text.replace(EMBEDDED, (_, inner: string) => toText(this.value(inner, scope)));
  }

  private directive(
    key: string,
  ): { kind: 'if'; condition: string } | { kind: 'each'; variable: string; collection: string } | undefined {
    const match = DIRECTIVE.exec(key.trim());
    if (!match) {
      if (key.includes('${{')) throw unsupported(this.template, `an expression inside a key: "${key}"`);
      return undefined;
    }
    const body = match[1] as string;
    const ifMatch = /^if\s+([\s\S]+)$/.exec(body);
    if (ifMatch) return { kind: 'if', condition: ifMatch[1] as string };
    const eachMatch = /^each\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([\s\S]+)$/.exec(body);
    if (eachMatch)
      return { kind: 'each', variable: eachMatch[1] as string, collection: eachMatch[2] as string };
    throw unsupported(this.template, `the directive "\${{ ${body} }}" (only if and each are supported)`);
  }

  private sequence(items: Yaml[], scope: Record<string, Yaml>): Yaml[] {
    const out: Yaml[] = [];
    for (const item of items) {
      const keys = isMapping(item) ? Object.keys(item) : [];
      const directive = keys.length === 1 ? this.directive(keys[0] as string) : undefined;
      if (isMapping(item) && directive) {
        const body = item[keys[0] as string];
        if (!Array.isArray(body))
          throw unsupported(this.template, `a ${directive.kind} insertion in a list must hold a list`);
        if (directive.kind === 'if') {
          if (evaluateCondition(directive.condition, this.context(scope, `if ${directive.condition}`)))
            out.push(...this.sequence(body, scope));
        } else {
          const collection = this.value(directive.collection, scope);
          if (!Array.isArray(collection))
            throw invalid(this.template, `each ${directive.variable} in ${directive.collection}: not a list`);
          for (const element of collection)
            out.push(...this.sequence(body, { ...scope, [directive.variable]: element }));
        }
        continue;
      }
      out.push(this.expand(item, scope));
    }
    return out;
  }

  private mapping(node: Mapping, scope: Record<string, Yaml>): Mapping {
    const out: Mapping = {};
    const put = (key: string, value: Yaml) => {
      if (Object.hasOwn(out, key)) throw invalid(this.template, `key "${key}" appears twice after expansion`);
      out[key] = value;
    };
    for (const [key, value] of Object.entries(node)) {
      const directive = this.directive(key);
      if (!directive) {
        put(key, this.expand(value, scope));
        continue;
      }
      if (directive.kind !== 'if') throw unsupported(this.template, 'an each insertion inside a mapping');
      if (!isMapping(value))
        throw unsupported(this.template, 'an if insertion in a mapping must hold a mapping');
      if (!evaluateCondition(directive.condition, this.context(scope, `if ${directive.condition}`))) continue;
      for (const [innerKey, innerValue] of Object.entries(this.mapping(value, scope)))
        put(innerKey, innerValue);
    }
    return out;
  }
}

function onlyKeys(template: string, node: Mapping, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(node))
    if (!allowed.includes(key))
      throw unsupported(template, `${what}: key "${key}" (supported: ${allowed.join(', ')})`, { key });
}

function text(template: string, value: Yaml, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(template, `${what} must be a non-empty string`);
  return value;
}

function optionalText(template: string, value: Yaml, what: string): string | undefined {
  return value === undefined ? undefined : text(template, value, what);
}

class Reader {
  constructor(
    private readonly template: string,
    private readonly options: CompileOptions,
  ) {}

  steps(node: Yaml, where: string): Step[] {
    if (!Array.isArray(node)) throw invalid(this.template, `${where}: steps must be a list`);
    return node.map((item, index) => this.step(item, `${where} step ${index + 1}`));
  }

  private step(node: Yaml, where: string): Step {
    if (!isMapping(node)) throw invalid(this.template, `${where} is not a mapping`);
    const t = this.template;
    if ('task' in node) {
      onlyKeys(t, node, ['task', 'name', 'displayName', 'condition', 'inputs'], where);
      // `Name@major`, or the full `publisher.extension.contribution.Name@major` (unambiguous).
      const reference = /^((?:[A-Za-z0-9][A-Za-z0-9_-]*\.){3})?([A-Za-z][A-Za-z0-9_-]*)@(\d+)$/.exec(
        text(t, node.task, `${where}: task`),
      );
      if (!reference)
        throw invalid(
          t,
          `${where}: task must be Name@major or publisher.extension.contribution.Name@major, got "${String(node.task)}"`,
        );
      const manifest = this.options.taskManifest(
        `${reference[1] ?? ''}${reference[2] as string}`,
        Number(reference[3]),
      );
      const given = node.inputs ?? {};
      if (!isMapping(given)) throw invalid(t, `${where}: inputs must be a mapping`);
      const inputs: Record<string, string> = {};
      for (const [name, value] of Object.entries(given)) {
        const declared = manifest.inputs.find(
          (input) =>
            input.name.toLowerCase() === name.toLowerCase() ||
            input.aliases?.some((alias) => alias.toLowerCase() === name.toLowerCase()),
        );
        if (!declared)
          throw invalid(t, `${where}: ${manifest.name}@${manifest.major} has no input "${name}"`, {
            task: manifest.name,
            input: name,
          });
        if (isMapping(value) || Array.isArray(value))
          throw invalid(t, `${where}: input ${name} is not a scalar`);
        inputs[declared.name] = toText(value);
      }
      const name = optionalText(t, node.name, `${where}: name`);
      if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw invalid(t, `${where}: step name "${name}" is not an identifier`);
      const condition = optionalText(t, node.condition, `${where}: condition`);
      return {
        kind: 'task',
        task: manifest.name,
        major: manifest.major,
        ...(name ? { name } : {}),
        displayName: optionalText(t, node.displayName, `${where}: displayName`) ?? manifest.name,
        ...(condition ? { condition } : {}),
        inputs,
      };
    }
    if ('checkout' in node) {
      onlyKeys(t, node, ['checkout', 'fetchDepth', 'persistCredentials', 'displayName'], where);
      if (node.checkout !== 'self' && node.checkout !== 'none')
        throw unsupported(t, `${where}: checkout of "${String(node.checkout)}" (self or none)`);
      return {
        kind: 'checkout',
        repository: node.checkout,
        displayName: node.checkout === 'self' ? 'Checkout self' : 'Checkout none',
      };
    }
    if ('download' in node) {
      onlyKeys(t, node, ['download', 'displayName'], where);
      if (node.download !== 'none')
        throw unsupported(t, `${where}: download of "${String(node.download)}" (only none)`);
      return { kind: 'download', displayName: 'Download none' };
    }
    if ('script' in node) {
      onlyKeys(t, node, ['script', 'name', 'displayName', 'condition'], where);
      const script = text(t, node.script, `${where}: script`);
      const condition = optionalText(t, node.condition, `${where}: condition`);
      const name = optionalText(t, node.name, `${where}: name`);
      return {
        kind: 'script',
        script,
        ...(name ? { name } : {}),
        displayName:
          optionalText(t, node.displayName, `${where}: displayName`) ?? `Run ${script.split('\n')[0]}`,
        ...(condition ? { condition } : {}),
      };
    }
    throw unsupported(
      t,
      `${where}: a step with keys ${Object.keys(node).join(', ')} (supported: task, checkout, download, script)`,
    );
  }

  job(node: Yaml, where: string): Job {
    if (!isMapping(node)) throw invalid(this.template, `${where}: a job must be a mapping`);
    const t = this.template;
    if ('job' in node) {
      onlyKeys(t, node, ['job', 'displayName', 'steps', 'pool'], where);
      const name = text(t, node.job, `${where}: job`);
      return {
        name,
        displayName: optionalText(t, node.displayName, `${where}: displayName`) ?? name,
        steps: this.steps(node.steps, `job ${name}`),
      };
    }
    if ('deployment' in node) {
      onlyKeys(
        t,
        node,
        ['deployment', 'displayName', 'environment', 'strategy', 'timeoutInMinutes', 'pool'],
        where,
      );
      const name = text(t, node.deployment, `${where}: deployment`);
      const environment = text(t, node.environment, `deployment ${name}: environment`);
      const strategy = node.strategy;
      if (!isMapping(strategy) || Object.keys(strategy).join() !== 'runOnce')
        throw unsupported(t, `deployment ${name}: only strategy runOnce is supported`);
      const runOnce = strategy.runOnce;
      if (!isMapping(runOnce) || Object.keys(runOnce).join() !== 'deploy' || !isMapping(runOnce.deploy))
        throw unsupported(t, `deployment ${name}: only the runOnce deploy hook is supported`);
      onlyKeys(t, runOnce.deploy, ['steps'], `deployment ${name} deploy`);
      const timeout = node.timeoutInMinutes;
      if (timeout !== undefined && (typeof timeout !== 'number' || timeout <= 0))
        throw invalid(t, `deployment ${name}: timeoutInMinutes must be a positive number`);
      return {
        name,
        displayName: optionalText(t, node.displayName, `${where}: displayName`) ?? name,
        environment,
        ...(typeof timeout === 'number' ? { timeoutInMinutes: timeout } : {}),
        steps: this.steps(runOnce.deploy.steps, `deployment ${name}`),
      };
    }
    throw unsupported(t, `${where}: a job with keys ${Object.keys(node).join(', ')} (job or deployment)`);
  }

  stage(node: Yaml, previous: string | undefined, where: string): Stage {
    const t = this.template;
    if (!isMapping(node)) throw invalid(t, `${where}: a stage must be a mapping`);
    onlyKeys(t, node, ['stage', 'displayName', 'dependsOn', 'condition', 'pool', 'variables', 'jobs'], where);
    const name = text(t, node.stage, `${where}: stage`);
    const dependsOn =
      node.dependsOn === undefined
        ? previous
          ? [previous]
          : []
        : Array.isArray(node.dependsOn)
          ? node.dependsOn.map((dependency) => text(t, dependency, `stage ${name}: dependsOn`))
          : [text(t, node.dependsOn, `stage ${name}: dependsOn`)];
    const variables: Record<string, string> = {};
    if (node.variables !== undefined) {
      if (!isMapping(node.variables))
        throw unsupported(t, `stage ${name}: variables must be a mapping of name: value`);
      for (const [key, value] of Object.entries(node.variables)) {
        if (isMapping(value) || Array.isArray(value))
          throw unsupported(t, `stage ${name}: variable ${key} is not a scalar`);
        variables[key] = toText(value);
      }
    }
    if (!Array.isArray(node.jobs) || node.jobs.length === 0)
      throw invalid(t, `stage ${name}: jobs must be a non-empty list`);
    const condition = optionalText(t, node.condition, `stage ${name}: condition`);
    return {
      name,
      displayName: optionalText(t, node.displayName, `stage ${name}: displayName`) ?? name,
      dependsOn,
      ...(condition ? { condition } : {}),
      variables,
      jobs: node.jobs.map((job, index) => this.job(job, `stage ${name} job ${index + 1}`)),
    };
  }
}

/** Compiles `file` (a path to one of pipelines/*.yml) with `parameters` into stages, jobs and steps. */
export function compileTemplate(
  file: string,
  parameters: Record<string, unknown>,
  options: CompileOptions,
): CompiledPipeline {
  const template = file.split(/[\\/]/).slice(-2).join('/');
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0)
    throw invalid(template, document.errors.map((error) => error.message).join('; '));
  const tree = document.toJS() as Yaml;
  if (!isMapping(tree)) throw invalid(template, 'a template must be a mapping');
  onlyKeys(template, tree, ['parameters', 'steps', 'stages'], 'the template');
  const bound = bindParameters(template, declarations(template, tree.parameters), parameters);
  const expander = new Expander(template, bound);
  const reader = new Reader(template, options);
  if ('steps' in tree === 'stages' in tree)
    throw unsupported(template, 'a template has either steps or stages');
  if ('steps' in tree) {
    const jobName = options.jobName ?? 'Job';
    const steps = reader.steps(expander.expand(tree.steps, {}), `job ${jobName}`);
    return {
      template,
      stages: [
        {
          name: '__default',
          displayName: jobName,
          dependsOn: [],
          variables: {},
          jobs: [{ name: jobName, displayName: jobName, steps }],
        },
      ],
    };
  }
  const stagesNode = expander.expand(tree.stages, {});
  if (!Array.isArray(stagesNode)) throw invalid(template, 'stages must be a list');
  const stages: Stage[] = [];
  for (const [index, node] of stagesNode.entries()) {
    const stage = reader.stage(node, stages.at(-1)?.name, `stage ${index + 1}`);
    if (stages.some((other) => other.name === stage.name))
      throw invalid(template, `stage ${stage.name} appears twice`);
    // Stages run in the order written: a dependency must come first (our templates are a chain).
    for (const dependency of stage.dependsOn)
      if (!stages.some((other) => other.name === dependency))
        throw unsupported(
          template,
          `stage ${stage.name} depends on ${dependency}, which is not an earlier stage`,
        );
    stages.push(stage);
  }
  return { template, stages };
}
