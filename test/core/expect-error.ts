// A matcher for assert.throws: the error is a ReleaseAgentError with this code and these fields.
import assert from 'node:assert/strict';
import { type ErrorCode, type ErrorFields, isReleaseAgentError } from '../../core/errors.ts';

export function coded(code: ErrorCode, fields: ErrorFields = {}): (error: unknown) => true {
  return (error) => {
    assert.ok(isReleaseAgentError(error), `expected a ReleaseAgentError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const [name, value] of Object.entries(fields))
      assert.deepEqual(error.fields[name], value, `field ${name}`);
    return true;
  };
}
