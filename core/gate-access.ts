// Who may answer a gate (GATE_ALLOWED_USERS): `merge_pr=U1|U2;approve_stage=U3;*=U4`. Keys are gate
// kinds, gate numbers (1–5) or `*` (every gate without its own entry); values are user ids (Slack user
// ids, Azure DevOps user ids for the hub, `operator` for the X-Operator-Token) separated by `|` or `,`.
// Closed by default: a gate with no entry and no `*` is decided by no one.
import * as z from 'zod/mini';
import { ReleaseAgentError } from './errors.ts';
import { GATE_ACTIONS, GATE_KINDS, isGateKind } from './gate-registry.ts';
import { parseOrFail } from './input.ts';
import type { GateKind } from './model.ts';

export type GateAllowList = Readonly<Partial<Record<GateKind | '*', readonly string[]>>>;

const USER_ID = /^[A-Za-z0-9._@:-]{1,128}$/;

/** One `gate=user|user` entry, split: a known gate (kind, number or `*`) and at least one user id. */
const entrySchema = z.object({
  gate: z.pipe(
    z.string().check(
      z.refine((key: string) => gateKey(key) !== undefined, {
        error: `unknown gate (use ${GATE_KINDS.join(', ')}, 1-5 or *)`,
      }),
    ),
    z.transform((key: string) => gateKey(key) as GateKind | '*'),
  ),
  users: z
    .array(z.string().check(z.regex(USER_ID, { error: 'not a user id (letters, digits, ._@:- up to 128)' })))
    .check(z.minLength(1, { error: 'lists no user' })),
});

/** Parses the setting; INPUT_INVALID naming the bad entry. Empty text allows no one anywhere. */
export function parseGateAllowList(text: string): GateAllowList {
  const list: Partial<Record<GateKind | '*', string[]>> = {};
  for (const entry of text.split(';').map((part) => part.trim())) {
    if (!entry) continue;
    const equals = entry.indexOf('=');
    if (equals <= 0) invalid(`"${entry}" is not gate=user|user`);
    const { gate: key, users } = parseOrFail(
      entrySchema,
      {
        gate: entry.slice(0, equals).trim(),
        users: entry
          .slice(equals + 1)
          .split(/[|,]/)
          .map((user) => user.trim())
          .filter((user) => user.length > 0),
      },
      (field, problem) => invalid(`"${entry.slice(0, 200)}": ${field}: ${problem}`),
    );
    list[key] = [...new Set([...(list[key] ?? []), ...users])];
  }
  return list;
}

/** True only when an entry for `gate` (or `*`) names `userId`. */
export function mayDecide(list: GateAllowList, gate: GateKind, userId: string): boolean {
  const allowed = list[gate] ?? list['*'];
  return allowed?.includes(userId) === true;
}

function gateKey(key: string): GateKind | '*' | undefined {
  if (key === '*') return '*';
  if (isGateKind(key)) return key;
  return GATE_KINDS.find((gate) => String(GATE_ACTIONS[gate].number) === key);
}

function invalid(problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `GATE_ALLOWED_USERS: ${problem}`, {
    variable: 'GATE_ALLOWED_USERS',
  });
}
