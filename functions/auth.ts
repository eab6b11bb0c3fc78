// Who calls an API route: the hub's app token or the operator token, closed by default. Apart from
// functions/http.ts so that routes without these credentials (Slack, service hooks) do not load them.
import type { HttpRequest } from '@azure/functions';
import { verifyAppToken } from '../core/app-token.ts';
import { appTokenAudiences, type Config } from '../core/config.ts';
import { ReleaseAgentError } from '../core/errors.ts';
import { matchesSecret } from '../core/shared-secret.ts';

/** Who is calling: the operator (X-Operator-Token) or a hub user (the app token's `nameid`). */
export type Caller =
  | { kind: 'operator'; name: typeof OPERATOR_IDENTITY }
  | { kind: 'hub'; userId: string; name: string };

export type CallerKind = Caller['kind'];

/**
 * The identity an operator token decides as: a credential, not a person, so it answers a gate only
 * where GATE_ALLOWED_USERS names `operator` for it.
 */
export const OPERATOR_IDENTITY = 'operator';

/**
 * The caller of an API route, closed by default: the hub's app token (`Authorization: Bearer`,
 * HS256 with the extension's certificate, for this extension, this organisation and a named user),
 * or X-Operator-Token. A route that takes neither kind answers 403; a credential whose setting is
 * empty answers 503 NOT_CONFIGURED (never "open").
 */
export function authenticate(
  request: HttpRequest,
  config: Config,
  nowSeconds: number,
  allowed: readonly CallerKind[] = ['operator', 'hub'],
): Caller {
  const authorization = request.headers.get('authorization');
  const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1] : undefined;
  if (authorization && !bearer)
    throw new ReleaseAgentError('AUTH_INVALID', 'Authorization must be a Bearer app token', {});
  if (bearer) {
    if (!allowed.includes('hub'))
      throw new ReleaseAgentError(
        'FORBIDDEN',
        'this route is for operators only (X-Operator-Token), not the hub',
        {},
      );
    const missing = [
      ...(config.EXTENSION_CERTIFICATE.isEmpty ? ['EXTENSION_CERTIFICATE'] : []),
      ...(config.AZDO_ORGANIZATION_ID ? [] : ['AZDO_ORGANIZATION_ID']),
    ];
    if (missing.length > 0) {
      throw new ReleaseAgentError(
        'NOT_CONFIGURED',
        `${missing.join(' and ')} not set: the hub cannot sign in`,
        {
          variables: missing,
        },
      );
    }
    const verified = verifyAppToken({
      token: bearer,
      key: config.EXTENSION_CERTIFICATE,
      nowSeconds,
      expect: { audiences: appTokenAudiences(config), organizationId: config.AZDO_ORGANIZATION_ID },
    });
    if (!verified.ok)
      throw new ReleaseAgentError('AUTH_INVALID', `the app token was refused (${verified.reason})`, {
        reason: verified.reason,
      });
    const userId = verified.claims.userId;
    return { kind: 'hub', userId, name: userId };
  }
  if (!allowed.includes('operator'))
    throw new ReleaseAgentError('AUTH_INVALID', 'the hub app token is required', {});
  if (config.OPERATOR_TOKEN.isEmpty) {
    throw new ReleaseAgentError(
      'NOT_CONFIGURED',
      `OPERATOR_TOKEN is not set: operator access is refused${allowed.includes('hub') ? ' (the hub app token still works)' : ''}`,
      { variables: ['OPERATOR_TOKEN'] },
    );
  }
  const token = request.headers.get('x-operator-token') ?? undefined;
  if (!token)
    throw new ReleaseAgentError(
      'AUTH_INVALID',
      allowed.includes('hub')
        ? 'X-Operator-Token (or the hub app token) is required'
        : 'X-Operator-Token is required',
      {},
    );
  if (!matchesSecret(token, [config.OPERATOR_TOKEN]))
    throw new ReleaseAgentError('AUTH_INVALID', 'the operator token was refused', {});
  return { kind: 'operator', name: OPERATOR_IDENTITY };
}

/** The caller when the request carries valid credentials, else undefined (for routes open to all). */
export function optionalCaller(request: HttpRequest, config: Config, nowSeconds: number): Caller | undefined {
  if (!request.headers.get('authorization') && !request.headers.get('x-operator-token')) return undefined;
  try {
    return authenticate(request, config, nowSeconds);
  } catch {
    return undefined;
  }
}
