// The CLI's result JSON read into a success or a reasoned failure (pure: no process).
import assert from 'node:assert/strict';
import { type ClaudeProcessOutcome, interpretClaudeOutput } from '../../../adapters/claude/cli-claude.ts';

const outcome = (stdout: string, overrides: Partial<ClaudeProcessOutcome> = {}): ClaudeProcessOutcome => ({
  stdout,
  stderr: '',
  exitCode: 0,
  timedOut: false,
  durationMs: 42,
  timeoutMs: 1_000,
  ...overrides,
});

const success = {
  type: 'result',
  subtype: 'success',
  is_error: false,
  duration_ms: 12_345,
  duration_api_ms: 11_000,
  num_turns: 6,
  result: 'done',
  session_id: 'abc',
  total_cost_usd: 0.1234,
  usage: {},
  structured_output: { verdict: 'approve' },
};

describe('adapters/claude: interpretClaudeOutput', () => {
  it('takes structured_output, cost, duration, turns and session from a success', () => {
    assert.deepEqual(interpretClaudeOutput(outcome(JSON.stringify(success))), {
      ok: true,
      structuredOutput: { verdict: 'approve' },
      costUsd: 0.1234,
      durationMs: 12_345,
      numTurns: 6,
      sessionId: 'abc',
    });
  });

  it('finds the result line after warnings printed before it', () => {
    const result = interpretClaudeOutput(outcome(`warning: something\n${JSON.stringify(success)}\n`));
    assert.ok(result.ok);
    assert.deepEqual(result.structuredOutput, { verdict: 'approve' });
  });

  it('parses a fenced JSON `result` when structured_output is absent', () => {
    const { structured_output: _, ...rest } = success;
    const result = interpretClaudeOutput(
      outcome(JSON.stringify({ ...rest, result: '```json\n{"a":1}\n```' })),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.structuredOutput, { a: 1 });
  });

  it('a success without structured output or JSON text is invalid_output', () => {
    const { structured_output: _, ...rest } = success;
    const result = interpretClaudeOutput(outcome(JSON.stringify({ ...rest, result: 'LGTM!' })));
    assert.ok(!result.ok);
    assert.equal(result.reason, 'invalid_output');
  });

  it('subtype success with is_error true is an execution error carrying the result text', () => {
    const result = interpretClaudeOutput(
      outcome(JSON.stringify({ ...success, is_error: true, result: 'Credit balance is too low' }), {
        exitCode: 1,
      }),
    );
    assert.ok(!result.ok);
    assert.equal(result.reason, 'error_during_execution');
    assert.deepEqual(result.errors, ['Credit balance is too low']);
  });

  it('maps error subtypes, including structured-output retries and unknown ones', () => {
    const error = (subtype: string) =>
      interpretClaudeOutput(
        outcome(
          JSON.stringify({ type: 'result', subtype, is_error: true, total_cost_usd: 0.5, errors: ['x'] }),
          {
            exitCode: 1,
          },
        ),
      );
    const turns = error('error_max_turns');
    assert.ok(!turns.ok);
    assert.equal(turns.reason, 'error_max_turns');
    assert.equal(turns.costUsd, 0.5);
    const retries = error('error_max_structured_output_retries');
    assert.ok(!retries.ok);
    assert.equal(retries.reason, 'invalid_output');
    const unknown = error('error_something_new');
    assert.ok(!unknown.ok);
    assert.equal(unknown.reason, 'error_during_execution');
    assert.match(unknown.errors[0] ?? '', /error_something_new/);
  });

  it('a success JSON with is_error missing is not a success', () => {
    const { is_error: _, ...rest } = success;
    const result = interpretClaudeOutput(outcome(JSON.stringify(rest)));
    assert.equal(result.ok, false);
  });

  it('timeout wins over whatever was printed; a signal without JSON is exit_nonzero', () => {
    const timedOut = interpretClaudeOutput(
      outcome('', { timedOut: true, exitCode: undefined, signal: 'SIGKILL' }),
    );
    assert.ok(!timedOut.ok);
    assert.equal(timedOut.reason, 'timeout');
    const killed = interpretClaudeOutput(outcome('', { exitCode: undefined, signal: 'SIGKILL' }));
    assert.ok(!killed.ok);
    assert.equal(killed.reason, 'exit_nonzero');
    assert.match(killed.errors[0] ?? '', /SIGKILL/);
  });
});
