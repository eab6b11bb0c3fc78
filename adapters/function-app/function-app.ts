// The function app as the tasks see it: one call per job step (flows/job-api.ts). The job's only
// credential is its own System.AccessToken; the app reads the job's build from Azure DevOps and decides
// what the job may ask. A refusal comes back as the app's coded error.
import { CLIENT_ERROR_STATUSES, ERROR_CODES, type ErrorCode, ReleaseAgentError } from '../../core/errors.ts';
import type { Secret } from '../../core/secret.ts';
import {
  BUILD_HEADER,
  JOB_STEP_FAILED,
  JOB_STEP_OUTSIDE_FAILED,
  type JobAnswer,
  type JobStep,
  type JobSteps,
} from '../../flows/job-api.ts';
import { createHttpClient, type HttpClient } from '../http/http-client.ts';
import type { RetryPolicy } from '../http/retry.ts';

export interface FunctionApp {
  step<S extends JobStep>(step: S, body: JobSteps[S]['request']): Promise<JobAnswer<S>>;
}

export interface FunctionAppOptions {
  /** The function app's base URL (https://<app>.azurewebsites.net). */
  url: string;
  /** The job's System.AccessToken. */
  jobToken: Secret;
  buildId: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

export class HttpFunctionApp implements FunctionApp {
  readonly #http: HttpClient;
  readonly #token: Secret;
  readonly #buildId: number;

  constructor(options: FunctionAppOptions) {
    this.#token = options.jobToken;
    this.#buildId = options.buildId;
    this.#http = createHttpClient({
      service: 'function-app',
      baseUrl: `${options.url.replace(/\/+$/, '')}/api/`,
      secrets: [options.jobToken],
      // A step may wait on Jira or Azure DevOps for a while (a release PR's policies: about a minute).
      timeoutMs: options.timeoutMs ?? 120_000,
      retry: { maxAttempts: 4, maxTotalMs: 60_000, ...options.retry },
    });
  }

  async step<S extends JobStep>(step: S, body: JobSteps[S]['request']): Promise<JobAnswer<S>> {
    const response = await this.#http.request<JobAnswer<S> | { error?: { code?: string; message?: string } }>(
      step,
      'POST',
      `jobs/${step}`,
      {
        body,
        headers: { authorization: `Bearer ${this.#token.reveal()}`, [BUILD_HEADER]: String(this.#buildId) },
        // The app answers a refusal with a coded JSON error: the task fails with that code and words.
        acceptStatuses: [...CLIENT_ERROR_STATUSES, JOB_STEP_FAILED, JOB_STEP_OUTSIDE_FAILED],
      },
    );
    if (response.status >= 400) {
      const error = (response.body as { error?: { code?: string; message?: string } }).error;
      const code: ErrorCode = ERROR_CODES.includes(error?.code as ErrorCode)
        ? (error?.code as ErrorCode)
        : 'SERVICE_HTTP';
      // The step's own failure reads as it would have where it ran; a refusal says who refused.
      const message =
        (response.status === JOB_STEP_FAILED || response.status === JOB_STEP_OUTSIDE_FAILED) && error?.message
          ? error.message
          : `the function app refused ${step}: ${error?.message ?? `status ${response.status}`}`;
      throw new ReleaseAgentError(code, message, {
        service: 'function-app',
        operation: step,
        status: response.status,
      });
    }
    return response.body as JobAnswer<S>;
  }
}
