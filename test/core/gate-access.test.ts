import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.ts';
import { mayDecide, parseGateAllowList } from '../../core/gate-access.ts';
import { coded } from './expect-error.ts';

describe('GATE_ALLOWED_USERS', () => {
  it('allows no one anywhere when empty (closed by default)', () => {
    for (const gate of [
      'merge_pr',
      'create_release_pr',
      'merge_release_pr',
      'run_pipelines',
      'approve_stage',
    ] as const)
      assert.equal(mayDecide(parseGateAllowList(''), gate, 'U1'), false, gate);
  });

  it('names who decides each gate; * covers the unlisted ones; a gate without an entry is decided by no one', () => {
    const list = parseGateAllowList('merge_pr=U1|U2; 5=U3 , U4;');
    assert.equal(mayDecide(list, 'merge_pr', 'U1'), true);
    assert.equal(mayDecide(list, 'merge_pr', 'U3'), false);
    assert.equal(mayDecide(list, 'approve_stage', 'U4'), true);
    assert.equal(mayDecide(list, 'approve_stage', 'U1'), false);
    assert.equal(mayDecide(list, 'run_pipelines', 'anyone'), false, 'no entry, no *: no one');
    assert.equal(mayDecide(list, 'run_pipelines', 'U1'), false);
    const withDefault = parseGateAllowList('*=U9;merge_pr=U1');
    assert.equal(mayDecide(withDefault, 'run_pipelines', 'U9'), true);
    assert.equal(mayDecide(withDefault, 'run_pipelines', 'U1'), false);
    assert.equal(mayDecide(withDefault, 'merge_pr', 'U9'), false);
  });

  it('refuses unknown gates and empty lists, and config names the variable', () => {
    assert.throws(() => parseGateAllowList('merge=U1'), coded('INPUT_INVALID'));
    assert.throws(() => parseGateAllowList('merge_pr='), coded('INPUT_INVALID'));
    assert.throws(() => parseGateAllowList('merge_pr=U 1'), coded('INPUT_INVALID'));
    assert.throws(
      () => loadConfig({ GATE_ALLOWED_USERS: 'deploy=U1' }),
      coded('CONFIG_INVALID', { variables: ['GATE_ALLOWED_USERS'] }),
    );
  });

  it('says which part of which entry is wrong (the entry schema)', () => {
    const message = (text: string) => {
      try {
        parseGateAllowList(text);
      } catch (error) {
        coded('INPUT_INVALID', { variable: 'GATE_ALLOWED_USERS' })(error);
        return (error as Error).message;
      }
      return assert.fail(`${text} was accepted`);
    };
    assert.match(
      message('merge_pr=U1;deploy=U2'),
      /^GATE_ALLOWED_USERS: "deploy=U2": gate: unknown gate \(use merge_pr, /,
    );
    assert.match(message('3=U1|;1=,|'), /^GATE_ALLOWED_USERS: "1=,\|": users: lists no user$/);
    assert.match(message('*=U1|U 2'), /^GATE_ALLOWED_USERS: "\*=U1\|U 2": users\.1: not a user id/);
    assert.match(message(`*=${'u'.repeat(129)}`), /users\.0: not a user id/);
    assert.match(message('U1'), /^GATE_ALLOWED_USERS: "U1" is not gate=user\|user$/);
  });

  it('reads the pipeline maps and the PR pipeline id', () => {
    const config = loadConfig({
      PR_PIPELINE_ID: '12',
      PR_PIPELINE_BY_REPO: 'a=3; b.c=4',
      RELEASE_PIPELINE_BY_REPO: '',
    });
    assert.equal(config.PR_PIPELINE_ID, 12);
    assert.deepEqual(config.PR_PIPELINE_BY_REPO, { a: 3, 'b.c': 4 });
    assert.deepEqual(config.RELEASE_PIPELINE_BY_REPO, {});
    assert.equal(loadConfig({}).PR_PIPELINE_ID, undefined);
    assert.throws(
      () => loadConfig({ PR_PIPELINE_BY_REPO: 'a=x' }),
      coded('CONFIG_INVALID', { variables: ['PR_PIPELINE_BY_REPO'] }),
    );
    assert.throws(
      () => loadConfig({ PR_PIPELINE_ID: '0' }),
      coded('CONFIG_INVALID', { variables: ['PR_PIPELINE_ID'] }),
    );
    assert.throws(
      () => loadConfig({ WORK_QUEUE_NAME: 'Bad_Name' }),
      coded('CONFIG_INVALID', { variables: ['WORK_QUEUE_NAME'] }),
    );
  });
});
