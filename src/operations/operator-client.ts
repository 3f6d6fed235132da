import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { RunningServerNote } from './operator.ts';

export interface ServerAnswer {
  status: number;
  body: Buffer;
}

/**
 * One call to the running server as the local operator. Plain node:http rather than fetch: an
 * import or a backup may take longer than fetch's five-minute wait for the answer's headers.
 * The server's certificate, when it serves HTTPS, is often its own (CUSTODIAN_TLS_CERT): the
 * connection goes to the loopback address the server announced itself, so it is not checked.
 */
export function callServer(
  server: RunningServerNote,
  method: string,
  path: string,
  body?: unknown,
): Promise<ServerAnswer> {
  const url = new URL(path, server.url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${server.key}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) =>
      reject(new Error(`The Custodian server at ${server.url} did not answer: ${err.message}`)),
    );
    req.end(payload);
  });
}

/** The answer's JSON, or an error saying what the server refused and why. */
export async function serverJson<T>(
  server: RunningServerNote,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const answer = await callServer(server, method, path, body);
  const text = answer.body.toString('utf8');
  if (answer.status >= 400) {
    let message = text;
    try {
      const outcome = JSON.parse(text) as OperationOutcome;
      message = (outcome.issue ?? []).map((i) => i.diagnostics ?? i.code).join('; ') || text;
    } catch {
      // Not an OperationOutcome: the text as it came.
    }
    throw new Error(`${message} (the server answered ${answer.status})`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
