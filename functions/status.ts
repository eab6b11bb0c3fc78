// GET /api/status: health and configuration problems (no secrets, no auth: the Python agent's /status).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { configProblems, loadConfig } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';

export async function statusHandler(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const problems = configProblems(loadConfig(process.env));
    return { status: 200, jsonBody: { status: problems.length === 0 ? 'ok' : 'degraded', problems } };
  } catch (error) {
    return { status: 200, jsonBody: { status: 'misconfigured', problems: [errorMessage(error)] } };
  }
}
