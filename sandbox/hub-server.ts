// The hub page outside Azure DevOps: serves the standalone build (HUB_SDK=standalone, dist/hub-standalone)
// on a loopback port, injects `window.__RELEASE_AGENT_HUB__ = { apiUrl, token, … }` into index.html, and
// forwards /api/* to the function app so the page calls its own origin (the function app answers CORS
// only for the Marketplace origin). A new app token is minted for every page load when given a function.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { buildHub, stopBuildService } from '../scripts/build.ts';

export const DIST_HUB_STANDALONE = join(import.meta.dirname, '..', 'dist', 'hub-standalone');

export interface HubServerOptions {
  /** The function app, e.g. http://127.0.0.1:7071 (a trailing /api is fine). */
  apiUrl: string;
  /** The app token the page sends as `Authorization: Bearer`; a function mints one per page load. */
  appToken: string | (() => string | Promise<string>);
  port?: number;
  /** The standalone build; default dist/hub-standalone. */
  root?: string;
  /** Build the standalone page into `root` first (always when `root` has no index.html). */
  build?: boolean;
  /** Forward /api/* to the function app (default true); false makes the page call `apiUrl` directly (CORS). */
  proxy?: boolean;
  /** What the page shows as its host context. */
  hostName?: string;
  projectName?: string;
  /** Base of pull-request links, e.g. the Azure DevOps simulator's project URL. */
  projectUrl?: string;
  userName?: string;
}

export interface HubServer {
  /** The page, e.g. http://127.0.0.1:5173/ */
  url: string;
  /** The API base the page was given (the server itself when proxying). */
  apiUrl: string;
  stop(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const MAX_PROXY_BODY_BYTES = 1024 * 1024;

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function functionAppBase(apiUrl: string): string {
  const url = new URL(apiUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const root = options.root ?? DIST_HUB_STANDALONE;
  if (options.build || !existsSync(join(root, 'index.html')))
    await buildHub({ sdk: 'standalone', outDir: root });
  await stopBuildService();
  const upstream = functionAppBase(options.apiUrl);
  const proxy = options.proxy ?? true;
  const template = readFileSync(join(root, 'index.html'), 'utf8');
  let pageOrigin = '';

  const page = async (): Promise<string> => {
    const token = typeof options.appToken === 'function' ? await options.appToken() : options.appToken;
    const config = {
      apiUrl: proxy ? pageOrigin : upstream,
      token,
      hostName: options.hostName ?? 'sandbox',
      ...(options.projectName ? { projectName: options.projectName } : {}),
      ...(options.projectUrl ? { projectUrl: options.projectUrl } : {}),
      ...(options.userName ? { userName: options.userName } : {}),
    };
    return template.replace(
      '</head>',
      `<script>window.__RELEASE_AGENT_HUB__ = ${scriptJson(config)};</script>\n  </head>`,
    );
  };

  const serveFile = (path: string, res: ServerResponse) => {
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'x-content-type-options': 'nosniff' }).end(readFileSync(file));
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PROXY_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'BODY_TOO_LARGE', message: 'the body is too large' } }));
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept', 'x-operator-token']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let answer: Response;
    try {
      answer = await fetch(`${upstream}${path}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        redirect: 'manual',
      });
    } catch {
      // The function app is not there: the page must see what a browser sees, a failed request.
      res.destroy();
      return;
    }
    const body = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad path');
      return;
    }
    if (proxy && (path === '/api' || path.startsWith('/api/'))) {
      forward(req, res, `${url.pathname}${url.search}`).catch(() => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      page().then(
        (html) =>
          res
            .writeHead(200, {
              'content-type': CONTENT_TYPES['.html']!,
              'cache-control': 'no-store',
              'x-content-type-options': 'nosniff',
            })
            .end(html),
        () =>
          res
            .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
            .end('could not make an app token'),
      );
      return;
    }
    serveFile(path, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  pageOrigin = `http://127.0.0.1:${port}`;
  return {
    url: `${pageOrigin}/`,
    apiUrl: proxy ? pageOrigin : upstream,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `node --import tsx sandbox/hub-server.ts`: the standalone page against a running function app.
 * HUB_API_URL (default http://127.0.0.1:7071), HUB_PORT, HUB_USER_ID (default sandbox-user), and the
 * function app's EXTENSION_CERTIFICATE and AZDO_ORGANIZATION_ID (EXTENSION_PUBLISHER/EXTENSION_AUDIENCE
 * too when set) to sign an app token for every page load; secrets come from the environment, never the
 * command line.
 */
async function main(): Promise<void> {
  const { appTokenClaims, signAppToken } = await import('../core/app-token.ts');
  const { appTokenAudiences, loadConfig } = await import('../core/config.ts');
  const certificate = process.env.EXTENSION_CERTIFICATE ?? '';
  const organizationId = process.env.AZDO_ORGANIZATION_ID ?? '';
  if (!certificate || !organizationId) {
    console.error(
      'set EXTENSION_CERTIFICATE and AZDO_ORGANIZATION_ID to the function app’s: the page signs its app token with them',
    );
    process.exitCode = 1;
    return;
  }
  const audience = appTokenAudiences(loadConfig(process.env))[0] as string;
  const userId = process.env.HUB_USER_ID ?? 'sandbox-user';
  const now = () => Math.floor(Date.now() / 1000);
  const server = await startHubServer({
    apiUrl: process.env.HUB_API_URL ?? 'http://127.0.0.1:7071',
    appToken: () =>
      signAppToken(appTokenClaims({ userId, audience, organizationId, nowSeconds: now() }), certificate),
    build: true,
    ...(process.env.HUB_PORT ? { port: Number(process.env.HUB_PORT) } : {}),
  });
  console.log(`Release Agent hub (standalone): ${server.url}`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
