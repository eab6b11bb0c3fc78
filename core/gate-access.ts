// Who may answer a gate (GATE_ALLOWED_USERS): `merge_pr=U1|U2;approve_stage=U3;*=U4`. Keys are gate
// kinds, gate numbers (1–5) or `*` (every gate without its own entry); values are user ids (Slack user
// ids, Azure DevOps user ids for the hub, `operator` for the X-Operator-Token) separated by `|` or `,`.
// Closed by default: a gate with no entry and no `*` is decided by no one.
import { ReleaseAgentError } from './errors.ts';
import { GATE_ACTIONS, GATE_KINDS, isGateKind } from './gate-registry.ts';
import type { GateKind } from './model.ts';

export type GateAllowList = Readonly<Partial<Record<GateKind | '*', readonly string[]>>>;

const USER_ID = /^[A-Za-z0-9._@:-]{1,128}$/;

/** Parses the setting; INPUT_INVALID naming the bad entry. Empty text allows no one anywhere. */
export function parseGateAllowList(text: string): GateAllowList {
  const list: Partial<Record<GateKind | '*', string[]>> = {};
  for (const entry of text.split(';').map((part) => part.trim())) {
    if (!entry) continue;
    const equals = entry.indexOf('=');
    if (equals <= 0) invalid(`"${entry}" is not gate=user|user`);
    const key = gateKey(entry.slice(0, equals).trim());
    if (!key)
      invalid(`unknown gate "${entry.slice(0, equals).trim()}" (use ${GATE_KINDS.join(', ')}, 1-5 or *)`);
    const users = entry
      .slice(equals + 1)
      .split(/[|,]/)
      .map((user) => user.trim())
      .filter((user) => user.length > 0);
    if (users.length === 0) invalid(`gate ${key} lists no user`);
    const bad = users.find((user) => !USER_ID.test(user));
    if (bad !== undefined) invalid(`"${bad}" is not a user id`);
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
