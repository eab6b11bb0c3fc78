// A small local host for the function app (the Core Tools host cannot be installed here). It serves the
// registrations of functions/registrations.ts the way the Functions host does: HTTP routes under
// host.json's routePrefix on a loopback port with the real HttpRequest/HttpResponse classes of @azure/functions and the body
// passed through untouched; timers on an interval (or on demand); the Storage queue trigger over
// Azurite's Queue service with a visibility timeout (renewed while the function runs), dequeueCount,
// the next batch fetched while half a batch still runs, a failed delete after a success logged (not run
// again) and the `<queue>-poison` queue after maxDequeueCount attempts; and the queue output binding
// written once a function returned.
import { randomUUID } from 'node:crypto';
import hostJson from '../functions/host.json' with { type: 'json' };
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import azureFunctions, {
  type FunctionOutput,
  type HttpResponseInit,
  type InvocationContext as InvocationContextType,
} from '@azure/functions';
import { RestError, TableClient } from '@azure/data-tables';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { buildRegistrations, type QueueOutput, type Registration } from '../functions/registrations.ts';
import {
  configureServices,
  decodeQueueText,
  resetServices,
  type ServiceOverrides,
} from '../functions/services.ts';
import { capturingLogs, registerLogSource } from './captured-logs.ts';

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

export type HostLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface HostLogEntry {
  level: HostLogLevel;
  functionName: string;
  invocationId: string;
  message: string;
}

export interface FunctionsHostOptions {
  registrations: readonly Registration[];
  /** App settings: connection settings named by the bindings are read here. */
  env: Record<string, string | undefined>;
  port?: number;
  host?: string;
  queue?: {
    pollIntervalMs?: number;
    /** Seconds a failed message stays invisible before it is retried (host.json visibilityTimeout). */
    retryDelaySeconds?: number;
    /** How long a received message is held while its function runs. */
    leaseSeconds?: number;
    maxDequeueCount?: number;
    batchSize?: number;
  };
  /** 'interval' runs each timer every intervalSeconds (or `timerIntervalMs`); 'manual' only on runTimer(). */
  timers?: 'interval' | 'manual';
  timerIntervalMs?: number;
  /**
   * How a timer runs on one instance at a time. `process` (default): one run at a time in this process
   * (a single instance). `storage`: a lease row in the storage account, like the Functions host's
   * singleton lock, so of several hosts on one account only the holder runs a timer. `off`: every
   * host runs its timers (to show the flows hold up when two runs overlap anyway).
   */
  timerLock?: 'process' | 'storage' | 'off';
  /** Refused with 413 above this many bytes before any function sees them (the real host allows 100 MB). */
  maxRequestBytes?: number;
  log?: (entry: HostLogEntry) => void;
}

export interface FunctionsHost {
  /** e.g. http://127.0.0.1:7071 */
  url: string;
  /** `${url}/api` */
  apiUrl: string;
  runTimer(name: string): Promise<void>;
  /** Resolves when the work queues are empty and nothing is running. */
  idle(timeoutMs?: number): Promise<void>;
  /** Messages moved to poison queues by this host. */
  readonly poisoned: number;
  stop(): Promise<void>;
}

interface HttpRoute {
  registration: Extract<Registration, { kind: 'http' }>;
  pattern: RegExp;
  params: string[];
  literal: number;
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const sink = options.log ?? defaultLog;
  // Every line the functions wrote, also when the caller keeps them to itself: the test run scans them.
  const lines: string[] = [];
  registerLogSource('function host log', () => lines);
  const log = (entry: HostLogEntry) => {
    if (capturingLogs()) lines.push(`[${entry.level}] [${entry.functionName}] ${entry.message}`);
    sink(entry);
  };
  const maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
  const queueOptions = {
    pollIntervalMs: options.queue?.pollIntervalMs ?? 500,
    retryDelaySeconds: options.queue?.retryDelaySeconds ?? 10,
    leaseSeconds: options.queue?.leaseSeconds ?? 60,
    maxDequeueCount: options.queue?.maxDequeueCount ?? 5,
    batchSize: options.queue?.batchSize ?? 8,
  };
  const queueClients = new Map<string, QueueClient>();
  const queueClient = async (connection: string, queueName: string): Promise<QueueClient> => {
    const key = `${connection}|${queueName}`;
    let client = queueClients.get(key);
    if (!client) {
      const connectionString = options.env[connection] ?? options.env.STORAGE_CONNECTION_STRING;
      if (!connectionString) throw new Error(`app setting ${connection} (the queue connection) is not set`);
      client = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(queueName);
      await client.createIfNotExists();
      queueClients.set(key, client);
    }
    return client;
  };

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };
  let poisoned = 0;

  const newContext = (
    functionName: string,
    trigger: { type: string; name: string },
    extraOutputs: FunctionOutput[],
    triggerMetadata?: Record<string, unknown>,
  ) => {
    const invocationId = randomUUID();
    return new InvocationContext({
      invocationId,
      functionName,
      options: { trigger, extraOutputs },
      ...(triggerMetadata ? { triggerMetadata } : {}),
      logHandler: (level, ...args) =>
        log({ level: level as HostLogLevel, functionName, invocationId, message: format(...args) }),
    });
  };

  /** The output bindings' values, written after the function returned (as the Functions host does). */
  const writeOutputs = async (context: InvocationContextType, outputs: readonly QueueOutput[]) => {
    for (const binding of outputs) {
      const value = context.extraOutputs.get(binding);
      if (value === undefined || value === null) continue;
      const client = await queueClient(binding.connection, binding.queueName);
      for (const item of Array.isArray(value) ? value : [value]) {
        const text = typeof item === 'string' ? item : JSON.stringify(item);
        await client.sendMessage(Buffer.from(text, 'utf8').toString('base64'));
      }
    }
  };

  // ---- HTTP ----
  const routePrefix = hostRoutePrefix();
  const routes: HttpRoute[] = options.registrations
    .filter(
      (registration): registration is Extract<Registration, { kind: 'http' }> => registration.kind === 'http',
    )
    .map((registration) => compileRoute(registration))
    .sort((a, b) => b.literal - a.literal);

  const server: Server = createServer((req, res) => {
    void track(serve(req, res)).catch((error: unknown) => {
      log({
        level: 'error',
        functionName: 'host',
        invocationId: '',
        message: `request failed: ${String(error)}`,
      });
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    // The request target is a path: `//x` is not an authority here (URL would read it as one, and a
    // host it cannot parse makes it throw), so it is parsed after the Host header's origin; a target or
    // Host that still does not parse is the client's mistake (400), as on the Functions host.
    const target = req.url ?? '/';
    let url: URL;
    try {
      url = new URL(
        `http://${req.headers.host ?? '127.0.0.1'}${target.startsWith('/') ? target : `/${target}`}`,
      );
    } catch {
      sendJson(res, 400, { error: { code: 'INPUT_INVALID', message: 'the request target is not a path' } });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    // Whatever the function leaves unread is not read after its answer: the connection is closed.
    let closing = false;
    const closeUnread = () => {
      if (req.complete || closing) return;
      closing = true;
      res.setHeader('connection', 'close');
      res.once('finish', () => {
        req.pause();
        req.socket.end();
        // A client that goes on sending is cut off shortly after it had time to read the answer.
        setTimeout(() => req.socket.destroy(), 1000).unref();
      });
    };
    const tooLarge = () => {
      closeUnread();
      sendJson(res, 413, { error: { code: 'BODY_TOO_LARGE', message: 'the body is too large' } });
    };
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > maxRequestBytes) return tooLarge();
    const hasBody = method !== 'GET' && method !== 'HEAD';
    if (!hasBody) req.resume();
    const body = hasBody ? requestStream(req, maxRequestBytes) : undefined;
    const path = routePrefix
      ? url.pathname.startsWith(`/${routePrefix}/`)
        ? url.pathname.slice(routePrefix.length + 2)
        : undefined
      : url.pathname.slice(1);
    const matches =
      path === undefined
        ? []
        : routes.map((route) => ({ route, match: route.pattern.exec(path) })).filter((found) => found.match);
    if (matches.length === 0) {
      closeUnread();
      return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    }
    const found = matches.find(({ route }) => route.registration.methods.includes(method as never));
    if (!found?.match) {
      closeUnread();
      res.setHeader(
        'allow',
        [...new Set(matches.flatMap(({ route }) => route.registration.methods))].join(', '),
      );
      return sendJson(res, 405, {
        error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here` },
      });
    }
    const { registration, params: names } = found.route;
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      const value = found.match?.[index + 1];
      if (value !== undefined) params[name] = safeDecode(value);
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    // As the Functions host does with HTTP streams on (createStreamRequest in @azure/functions): a
    // native Request over the incoming stream, the raw bytes untouched (the Slack route verifies its
    // signature over them) and read only as far as the function reads them.
    const nativeRequest = new Request(url.toString(), {
      method,
      headers,
      ...(body ? { body: body.stream, duplex: 'half' } : {}),
    } as RequestInit);
    const request = new HttpRequest({ params, nativeRequest } as ConstructorParameters<
      typeof HttpRequest
    >[0]);
    const context = newContext(
      registration.name,
      { type: 'httpTrigger', name: 'request' },
      registration.extraOutputs,
    );
    let response: InstanceType<typeof HttpResponse>;
    try {
      const result = (await registration.handler(request, context)) as
        | HttpResponseInit
        | InstanceType<typeof HttpResponse>
        | undefined;
      // Past the host's own limit: the host answers, whatever the function made of the cut stream.
      if (body?.tooLarge()) return tooLarge();
      response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
      await writeOutputs(context, registration.extraOutputs);
    } catch (error) {
      if (body?.tooLarge()) return tooLarge();
      context.error(`function failed: ${error instanceof Error ? error.message : String(error)}`);
      closeUnread();
      return sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    }
    closeUnread();
    const bytes = Buffer.from(await response.arrayBuffer());
    const outgoing: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      outgoing[name] = value;
    });
    res.writeHead(response.status, outgoing);
    res.end(method === 'HEAD' ? undefined : bytes);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  // ---- queue triggers ----
  let running = true;
  const queueRegistrations = options.registrations.filter(
    (registration): registration is Extract<Registration, { kind: 'queue' }> => registration.kind === 'queue',
  );
  const pollers: Promise<void>[] = [];
  const pollWake = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        pollWake.delete(done);
        resolve();
      }
      pollWake.add(done);
    });

  const runQueueMessage = async (
    registration: Extract<Registration, { kind: 'queue' }>,
    client: QueueClient,
    poison: QueueClient,
    item: {
      messageId: string;
      popReceipt: string;
      messageText: string;
      dequeueCount: number;
      insertedOn: Date;
      expiresOn: Date;
      nextVisibleOn: Date;
    },
  ) => {
    // The receipt changes with every visibility update; delete and retry use the latest one.
    let receipt = item.popReceipt;
    const toPoison = async () => {
      await poison.sendMessage(item.messageText);
      await client.deleteMessage(item.messageId, receipt);
      poisoned++;
      log({
        level: 'error',
        functionName: registration.name,
        invocationId: '',
        message: `message ${item.messageId} moved to ${poison.name} after ${item.dequeueCount} attempts`,
      });
    };
    // Delivered more often than allowed (a worker died holding it): poison without running it again.
    if (item.dequeueCount > queueOptions.maxDequeueCount) return await toPoison();
    const context = newContext(registration.name, { type: 'queueTrigger', name: 'queueItem' }, [], {
      id: item.messageId,
      dequeueCount: item.dequeueCount,
      insertionTime: item.insertedOn.toISOString(),
      expirationTime: item.expiresOn.toISOString(),
      nextVisibleTime: item.nextVisibleOn.toISOString(),
      popReceipt: item.popReceipt,
    });
    // Like the Functions host: while the function runs, the message's invisibility is renewed (at half
    // the lease), so a slow run is not delivered a second time.
    let renewal = Promise.resolve();
    const renew = setInterval(
      () => {
        renewal = renewal
          .then(async () => {
            const updated = await client.updateMessage(
              item.messageId,
              receipt,
              undefined,
              queueOptions.leaseSeconds,
            );
            if (updated.popReceipt) receipt = updated.popReceipt;
          })
          .catch((error: unknown) =>
            log({
              level: 'warning',
              functionName: registration.name,
              invocationId: '',
              message: `could not renew message ${item.messageId}: ${String(error)}`,
            }),
          );
      },
      Math.max(50, (queueOptions.leaseSeconds * 1000) / 2),
    );
    let failure: unknown;
    let succeeded = false;
    try {
      await registration.handler(decodeQueueText(item.messageText), context);
      succeeded = true;
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(renew);
      await renewal;
    }
    if (succeeded) {
      // Like the Functions host: a delete that fails after a success is logged, not run again (the
      // message comes back once its lease runs out; handlers are idempotent).
      try {
        await client.deleteMessage(item.messageId, receipt);
      } catch (error) {
        log({
          level: 'error',
          functionName: registration.name,
          invocationId: '',
          message: `message ${item.messageId} ran but could not be deleted: ${String(error)}`,
        });
      }
      return;
    }
    context.warn(
      `function failed (attempt ${item.dequeueCount}): ${failure instanceof Error ? failure.message : String(failure)}`,
    );
    if (item.dequeueCount >= queueOptions.maxDequeueCount) return await toPoison();
    await client.updateMessage(item.messageId, receipt, undefined, queueOptions.retryDelaySeconds);
  };

  for (const registration of queueRegistrations) {
    const client = await queueClient(registration.connection, registration.queueName);
    const poison = await queueClient(registration.connection, `${registration.queueName}-poison`);
    pollers.push(
      (async () => {
        /** Messages of this queue whose function is running. */
        let busy = 0;
        while (running) {
          let received: Awaited<ReturnType<QueueClient['receiveMessages']>>['receivedMessageItems'] = [];
          try {
            received = (
              await client.receiveMessages({
                numberOfMessages: queueOptions.batchSize,
                visibilityTimeout: queueOptions.leaseSeconds,
              })
            ).receivedMessageItems;
          } catch (error) {
            if (running)
              log({
                level: 'warning',
                functionName: registration.name,
                invocationId: '',
                message: `queue poll failed: ${String(error)}`,
              });
          }
          if (received.length === 0) {
            if (running) await sleep(queueOptions.pollIntervalMs);
            continue;
          }
          // Like the Functions host: the next batch is fetched once no more than half a batch is
          // still running, not only after the slowest message of this one finished.
          for (const item of received) {
            busy++;
            void track(runQueueMessage(registration, client, poison, item))
              .catch((error: unknown) =>
                log({
                  level: 'error',
                  functionName: registration.name,
                  invocationId: '',
                  message: `queue handling failed: ${String(error)}`,
                }),
              )
              .finally(() => {
                busy--;
              });
          }
          while (running && busy > queueOptions.batchSize / 2) await sleep(queueOptions.pollIntervalMs);
        }
      })(),
    );
  }

  // ---- timers ----
  const timerRegistrations = new Map(
    options.registrations
      .filter(
        (registration): registration is Extract<Registration, { kind: 'timer' }> =>
          registration.kind === 'timer',
      )
      .map((registration) => [registration.name, registration]),
  );
  const timerRuns = new Map<string, Promise<void>>();
  const timerLock = options.timerLock ?? 'process';
  const instanceId = randomUUID();
  const locks = timerLock === 'storage' ? await lockTable(options.env) : undefined;
  const periodMs = (registration: Extract<Registration, { kind: 'timer' }>) =>
    options.timerIntervalMs ?? registration.intervalSeconds * 1000;
  const runTimer = async (name: string): Promise<void> => {
    const registration = timerRegistrations.get(name);
    if (!registration) throw new Error(`no timer function ${name}`);
    // One run at a time per timer in this process; across processes only the lock's holder runs it.
    const previous = timerLock === 'off' ? Promise.resolve() : (timerRuns.get(name) ?? Promise.resolve());
    const next = previous.then(async () => {
      if (locks) {
        const held = await holdLock(
          locks,
          name,
          instanceId,
          Math.max(15_000, 2 * periodMs(registration)),
        ).catch((error: unknown) => {
          log({
            level: 'warning',
            functionName: name,
            invocationId: '',
            message: `timer lock unavailable, run skipped: ${String(error)}`,
          });
          return false;
        });
        if (!held) return;
      }
      const context = newContext(name, { type: 'timerTrigger', name: 'timer' }, []);
      const now = new Date().toISOString();
      try {
        await registration.handler(
          {
            isPastDue: false,
            schedule: { adjustForDST: false },
            scheduleStatus: { last: now, next: now, lastUpdated: now },
          },
          context,
        );
      } catch (error) {
        context.error(`timer failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    timerRuns.set(name, next);
    await track(next);
  };
  const intervals: ReturnType<typeof setInterval>[] = [];
  if ((options.timers ?? 'interval') === 'interval') {
    for (const registration of timerRegistrations.values()) {
      intervals.push(setInterval(() => void runTimer(registration.name), periodMs(registration)));
    }
  }

  const idle = async (timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline) throw new Error(`the host did not become idle within ${timeoutMs} ms`);
      let depth = 0;
      for (const registration of queueRegistrations) {
        const client = await queueClient(registration.connection, registration.queueName);
        depth += (await client.getProperties()).approximateMessagesCount ?? 0;
      }
      quiet = depth === 0 && inFlight.size === 0 ? quiet + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    url,
    apiUrl: `${url}/api`,
    runTimer,
    idle,
    get poisoned() {
      return poisoned;
    },
    async stop() {
      running = false;
      for (const interval of intervals) clearInterval(interval);
      for (const wake of [...pollWake]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled(pollers);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** host.json's extensions.http.routePrefix, as the Functions host reads it (absent: "api"). */
function hostRoutePrefix(): string {
  // Imported, not read from disk: the host also runs bundled (the benchmarks' child process).
  const prefix = (hostJson as { extensions?: { http?: { routePrefix?: unknown } } }).extensions?.http
    ?.routePrefix;
  return typeof prefix === 'string' ? prefix.replace(/^\/+|\/+$/g, '') : 'api';
}

/** The table of the hosts' timer locks, on the app's storage account. */
async function lockTable(env: Record<string, string | undefined>): Promise<TableClient> {
  const connection = env.AzureWebJobsStorage ?? env.STORAGE_CONNECTION_STRING;
  if (!connection)
    throw new Error('a storage timer lock needs AzureWebJobsStorage or STORAGE_CONNECTION_STRING');
  const table = TableClient.fromConnectionString(
    connection,
    `${env.STORAGE_TABLE_PREFIX ?? 'ReleaseAgent'}HostLocks`,
    {
      ...(/DefaultEndpointsProtocol=http;|(Table|Blob)Endpoint=http:/i.test(connection)
        ? { allowInsecureConnection: true }
        : {}),
    },
  );
  try {
    await table.createTable();
  } catch (error) {
    if (!(error instanceof RestError && error.statusCode === 409)) throw error;
  }
  return table;
}

/** Takes or renews the lock of a timer for `leaseMs`; false while another host holds it. */
async function holdLock(table: TableClient, name: string, holder: string, leaseMs: number): Promise<boolean> {
  const until = String(Date.now() + leaseMs);
  try {
    const row = await table.getEntity<{ holder: string; until: string }>('timer', name);
    if (row.holder !== holder && Number(row.until) > Date.now()) return false;
    await table.updateEntity({ partitionKey: 'timer', rowKey: name, holder, until }, 'Replace', {
      etag: row.etag,
    });
    return true;
  } catch (error) {
    if (!(error instanceof RestError)) throw error;
    // Changed since read (412) or created meanwhile (409): another host took it first.
    if (error.statusCode === 412 || error.statusCode === 409) return false;
    if (error.statusCode !== 404) throw error;
    try {
      await table.createEntity({ partitionKey: 'timer', rowKey: name, holder, until });
      return true;
    } catch (createError) {
      if (createError instanceof RestError && createError.statusCode === 409) return false;
      throw createError;
    }
  }
}

/** `releases/{repo}`, `approvals/{threadId}`, `{name?}`, `{id:int}` → a regular expression. */
function compileRoute(registration: Extract<Registration, { kind: 'http' }>): HttpRoute {
  const params: string[] = [];
  let literal = 0;
  const source = registration.route
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?(\?)?\}$/.exec(segment);
      if (!param) {
        literal++;
        return escapeRegExp(segment);
      }
      params.push(param[1] as string);
      return param[2] ? '([^/]*)' : '([^/]+)';
    })
    .join('/');
  return { registration, pattern: new RegExp(`^${source}/?$`, 'i'), params, literal };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The request body as a web stream, read from the socket only as the function pulls it (so a function
 * that stops reading stops the client). Past `max` bytes it errors and `tooLarge()` turns true.
 */
function requestStream(
  req: IncomingMessage,
  max: number,
): { stream: ReadableStream<Uint8Array>; tooLarge: () => boolean } {
  let size = 0;
  let over = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      req.pause();
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          over = true;
          req.pause();
          controller.error(new Error(`the request body is larger than ${max} bytes`));
          return;
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (!over) controller.close();
      });
      req.once('error', (error) => {
        if (!over) controller.error(error);
      });
    },
    pull() {
      if (!over) req.resume();
    },
    cancel() {
      req.pause();
    },
  });
  return { stream, tooLarge: () => over };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function defaultLog(entry: HostLogEntry): void {
  const line = `[${entry.functionName}] ${entry.message}`;
  if (entry.level === 'error' || entry.level === 'critical' || entry.level === 'warning') console.error(line);
  else console.log(line);
}

export interface AgentHostOptions
  extends Omit<FunctionsHostOptions, 'registrations'>,
    Omit<ServiceOverrides, 'env' | 'log'> {
  env: Record<string, string | undefined>;
}

/** The function app itself on the local host: its services configured from `env`, reset on stop. */
export async function startAgentHost(options: AgentHostOptions): Promise<FunctionsHost> {
  configureServices({
    env: options.env,
    ...(options.now ? { now: options.now } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  try {
    const host = await startFunctionsHost({ ...options, registrations: buildRegistrations(options.env) });
    return {
      ...host,
      get poisoned() {
        return host.poisoned;
      },
      async stop() {
        await host.stop();
        resetServices();
      },
    };
  } catch (error) {
    resetServices();
    throw error;
  }
}
