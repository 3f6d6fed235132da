import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * One owner of an embedded database folder. PGlite has no lock of its own: two processes that
 * open one data folder both write it and corrupt it. Whoever opens the folder first creates
 * `<folder>.lock` (exclusively, O_EXCL) holding its pid; everyone else is refused while that
 * process lives. A lock left by a killed process is stale and taken over: its pid is gone, or
 * is now another process (a different start time, or the machine rebooted since).
 */

/** Who holds a folder, as its lock file says. */
export interface FolderHolder {
  pid: number;
  host: string;
  /** Linux boot id: a lock from before a reboot is stale whatever its pid. */
  bootId: string | null;
  /** The holder's start time in clock ticks since boot (Linux), so a reused pid is not it. */
  processStart: string | null;
  /** What holds it: `server` or the command's words, for the refusal message. */
  holder: string;
  since: string;
  /** Random: tells this lock from a later one of the same process. */
  nonce: string;
}

/** The folder is open in another live process (or already in this one). */
export class FolderInUse extends Error {
  constructor(
    readonly folder: string,
    readonly holder: FolderHolder,
  ) {
    const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
    super(
      `The database folder ${folder} is in use by ${holder.holder === 'server' ? 'the Custodian server' : `\`${holder.holder}\``} ` +
        `(${where}, since ${holder.since}); two programs must never open it at once`,
    );
    this.name = 'FolderInUse';
  }
}

export interface FolderLock {
  readonly folder: string;
  readonly holder: FolderHolder;
  /** Gives the folder up (only if the lock file is still this one). */
  release(): Promise<void>;
}

/** The lock file beside the folder (not inside: PGlite dumps and loads the folder whole). */
export const lockFileOf = (folder: string): string => `${resolve(folder)}.lock`;

/** Folders this process holds: a second open in one process is refused too. */
const heldHere = new Set<string>();

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces). */
function processStartOf(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

const bootId = (): string | null => readProc('/proc/sys/kernel/random/boot_id');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process that wrote this lock still runs. A lock from another machine (a shared
 * disk) cannot be checked from here and counts as held.
 */
export function holderAlive(h: FolderHolder): boolean {
  if (h.host !== hostname()) return true;
  const boot = bootId();
  if (h.bootId && boot && h.bootId !== boot) return false;
  if (!processAlive(h.pid)) return false;
  const start = processStartOf(h.pid);
  return !(h.processStart && start && h.processStart !== start);
}

function parseHolder(text: string): FolderHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<FolderHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.nonce === 'string'
      ? (h as FolderHolder)
      : undefined;
  } catch {
    return undefined;
  }
}

async function readLockText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The live process holding the folder, or undefined when nobody does (or only a stale lock). */
export async function folderHolder(folder: string): Promise<FolderHolder | undefined> {
  const text = await readLockText(lockFileOf(folder));
  const h = text === undefined ? undefined : parseHolder(text);
  return h && holderAlive(h) ? h : undefined;
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  // Written whole beside it, then linked into place (link fails if the lock exists): nobody ever
  // reads a half-written lock. An empty one looks like a crash's and would be taken over while
  // its writer still means to hold it, and then two processes would both hold the folder.
  const draft = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(draft, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(draft, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/**
 * Moves a stale lock out of the way. Renamed first, then checked to be the stale one read: two
 * processes taking over the same stale lock at once cannot remove the new lock of the winner
 * (the loser's rename finds nothing, or finds the new lock and puts it back).
 */
async function removeStale(file: string, staleText: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readLockText(aside);
  if (moved !== staleText) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes the folder for this process, or throws FolderInUse naming who has it. `holder` says
 * what this process is (`server`, or the command) for whoever is refused next.
 */
export async function lockFolder(folder: string, holder: string): Promise<FolderLock> {
  const path = resolve(folder);
  const file = lockFileOf(path);
  const me: FolderHolder = {
    pid: process.pid,
    host: hostname(),
    bootId: bootId(),
    processStart: processStartOf(process.pid),
    holder,
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(me);
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(file, text)) {
      heldHere.add(path);
      return { folder: path, holder: me, release: () => releaseLock(path, me.nonce) };
    }
    const existing = await readLockText(file);
    if (existing === undefined) continue;
    const h = parseHolder(existing);
    // Our own pid in a lock this process does not hold: a lock from before a restart that
    // reused the pid (containers start at the same pid).
    const ours = h?.pid === process.pid && h.host === me.host && !heldHere.has(path);
    if (h && !ours && holderAlive(h)) throw new FolderInUse(path, h);
    // Unreadable (a crash while writing it), dead or ours from before: stale.
    await removeStale(file, existing);
  }
  throw new Error(`Could not lock the database folder ${path}: its lock file ${file} keeps changing`);
}

async function releaseLock(path: string, nonce: string): Promise<void> {
  heldHere.delete(path);
  const file = lockFileOf(path);
  const text = await readLockText(file);
  if (text !== undefined && parseHolder(text)?.nonce === nonce) await unlink(file).catch(() => undefined);
}
