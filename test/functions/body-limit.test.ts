// A request body is refused as soon as it passes the limit, over real HTTP on the local host (which
// streams bodies to the functions as the Functions host does with HTTP streams on): a large chunked
// body gets its 413 long before the client could have sent it, and a declared length over the limit
// gets it without any body being sent.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { MAX_BODY_BYTES } from '../../functions/http.ts';
import { startTestbed, type Testbed } from './testbed.ts';

interface Answer {
  status: number;
  body: { error?: { code?: string; message?: string } };
  /** Body bytes the client had handed to the socket when the answer arrived. */
  sentBeforeAnswer: number;
  /** Whether the client had finished sending its whole body by then. */
  finished: boolean;
}

/**
 * POSTs up to `totalBytes` of body in 64 KiB chunks (chunked, or with `contentLength` declared),
 * honouring backpressure, and stops sending as soon as the answer arrives.
 */
function post(
  url: string,
  headers: Record<string, string>,
  options: { totalBytes: number; contentLength?: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let finished = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        ...headers,
        ...(options.contentLength === undefined
          ? { 'transfer-encoding': 'chunked' }
          : { 'content-length': String(options.contentLength) }),
      },
    });
    req.on('response', (res) => {
      answered = true;
      const sentBeforeAnswer = sent;
      const finishedBeforeAnswer = finished;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          sentBeforeAnswer,
          finished: finishedBeforeAnswer,
        });
      });
    });
    // Once answered, the server closes the connection: a write error then is expected.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    chunk.write('{"padding":"');
    const pump = () => {
      while (!answered && sent < options.totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) {
        finished = true;
        req.end();
      }
    };
    if (options.totalBytes > 0) pump();
    // Only the headers: the body is never sent.
    else req.flushHeaders();
  });
}

describe('functions: request body limit', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ webhookEvents: [] });
  });
  after(() => bed?.stop());

  const hookHeaders = () => ({
    'content-type': 'application/json',
    'x-webhook-secret': bed.stack.secrets.webhookSecret,
  });

  it('a chunked body far over the limit is refused with 413 before the client has sent it', async () => {
    const total = 256 * 1024 * 1024;
    const answer = await post(`${bed.host.apiUrl}/azdo/events`, hookHeaders(), { totalBytes: total });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error?.code, 'BODY_TOO_LARGE');
    // The function's own limit answered, not the host's (4 MiB) after buffering more.
    assert.equal(answer.body.error?.message, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    assert.equal(answer.finished, false, 'answered while the client was still sending');
    assert.ok(
      answer.sentBeforeAnswer < 32 * 1024 * 1024,
      `answered after ${answer.sentBeforeAnswer} bytes had been sent`,
    );
  });

  it('a declared Content-Length over the limit is refused before any of the body is sent', async () => {
    const answer = await post(`${bed.host.apiUrl}/azdo/events`, hookHeaders(), {
      totalBytes: 0,
      contentLength: MAX_BODY_BYTES + 1,
    });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error?.code, 'BODY_TOO_LARGE');
    assert.equal(answer.sentBeforeAnswer, 0);
  });

  it('a body just under the limit is read whole (and judged on what it says)', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES - 100);
    const response = await bed.api('/azdo/events', {
      method: 'POST',
      headers: hookHeaders(),
      body: JSON.stringify({ padding }),
    });
    // Read and parsed: refused for what it is (no event), not for its size.
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'INPUT_INVALID');
  });
});
