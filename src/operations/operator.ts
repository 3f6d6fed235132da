import { randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { folderHolder } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';

/**
 * The local operator: the `custodian` command on the server's machine, while the server holds
 * the embedded database. It cannot open the database folder (one owner: src/db/folder-lock.ts),
 * so it asks the server. The server makes a random key at start and writes it, with its URL, to
 * `<data folder>/operator.json`, readable by the server's own OS user only (0600); a caller
 * presenting that key as its Bearer token is the operator. Who can read that file can read the
 * database folder beside it anyway, so the key grants nothing the file system did not. Nothing is
 * open by default: without the key (or a user's token) every route answers 401.
 */

/** The token id of the operator's requests: operations routes accept no other caller. */
export const OPERATOR_TOKEN_ID = 'local-operator';

export interface OperatorKey {
  readonly key: string;
  /** The operator's context when `token` is this key; undefined for any other token. */
  contextFor(token: string, sourceAddress: string): RequestContext | undefined;
}

export function createOperatorKey(): OperatorKey {
  const key = randomBytes(32).toString('base64url');
  const expected = Buffer.from(key);
  return {
    key,
    contextFor(token, sourceAddress) {
      const given = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      return {
        userId: OPERATOR_TOKEN_ID,
        username: 'custodian-cli (local operator)',
        role: 'admin',
        purpose: 'HSYSADMIN',
        sourceAddress,
        tokenId: OPERATOR_TOKEN_ID,
        brokenGlassPatients: [],
      };
    },
  };
}

/** What the running server tells the command line about itself. */
export interface RunningServerNote {
  pid: number;
  url: string;
  key: string;
}

const noteFile = (dataDir: string): string => join(dataDir, 'operator.json');

/** Written once the server listens; removed when it stops (a killed server's note is ignored). */
export async function announceServer(dataDir: string, note: RunningServerNote): Promise<void> {
  const file = noteFile(dataDir);
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  const handle = await open(partial, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(note));
  } finally {
    await handle.close();
  }
  await rename(partial, file);
}

export async function withdrawAnnouncement(dataDir: string, pid: number): Promise<void> {
  const note = await readNote(dataDir);
  if (note?.pid === pid) await rm(noteFile(dataDir), { force: true });
}

async function readNote(dataDir: string): Promise<RunningServerNote | undefined> {
  try {
    const note = JSON.parse(await readFile(noteFile(dataDir), 'utf8')) as Partial<RunningServerNote>;
    return typeof note.pid === 'number' && typeof note.url === 'string' && typeof note.key === 'string'
      ? (note as RunningServerNote)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The server running on this data folder, if one does: its note, when the process holding the
 * database folder is the server that wrote it. A note left by a killed server names a dead pid
 * (or the folder is free): undefined.
 */
export async function findRunningServer(dataDir: string): Promise<RunningServerNote | undefined> {
  const note = await readNote(dataDir);
  if (!note) return undefined;
  const holder = await folderHolder(join(dataDir, 'db'));
  return holder?.holder === 'server' && holder.pid === note.pid ? note : undefined;
}
