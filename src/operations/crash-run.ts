import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, Patient } from '@medplum/fhirtypes';

/**
 * Issue #23 item 2: the real server (`custodian start`, a process of its own) under concurrent
 * writers and readers, killed with SIGKILL at a random moment, restarted on the same data, and
 * checked. Used by src/operations/crash.test.ts (two cycles) and `npm run soak` (many, plus a
 * memory watch). Everything goes through HTTP, as a client would see it.
 */

/** The repository (bin/custodian.js): computed here, as src/app imports this module's folder. */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'crash-run-pass-42';
/** Each transaction's entries carry this identifier: all of a bundle or none must be found. */
const BUNDLE_SYSTEM = 'urn:custodian:crash-run:bundle';
const BUNDLE_SIZE = 3;

export interface RunningServer {
  child: ChildProcess;
  url: string;
  token: string;
}

/**
 * Starts `custodian start` on free ports, with no demo data, and logs in as the administrator.
 * `env` is the whole environment (the caller's, with its data folder or DATABASE_URL).
 */
export async function startCustodian(
  env: NodeJS.ProcessEnv,
  opts: { demoPatients?: number; startTimeoutMs?: number } = {},
): Promise<RunningServer> {
  const demo = opts.demoPatients ?? 0;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'custodian.js'), 'start'], {
    env: {
      ...env,
      CUSTODIAN_PORT: '0',
      CUSTODIAN_DEMO: demo > 0 ? '1' : '0',
      CUSTODIAN_DEMO_PATIENTS: String(demo),
      CUSTODIAN_CODESETS_DIR: 'none',
      CUSTODIAN_MLLP_PORT: '0',
      CUSTODIAN_ADMIN_USER: 'admin',
      CUSTODIAN_ADMIN_PASSWORD: PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${output}`)),
      opts.startTimeoutMs ?? 120_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /running at (http:\/\/[^/\s]+)/.exec(output);
      // The demo data loads after the server listens; its last step is the legal holds.
      if (m?.[1] && (demo === 0 || /Demo legal holds/.test(output))) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${String(code)}: ${output}`));
    });
  });
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: PASSWORD }),
  });
  const token = ((await res.json()) as { access_token?: string }).access_token;
  if (!token) throw new Error(`login failed: ${res.status}`);
  return { child, url, token };
}

/** SIGKILL: no chance to flush or release anything on the way out. */
export function killServer(server: RunningServer, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill(signal);
  });
}

/** The server process's resident memory in bytes (Linux /proc), undefined once it has gone. */
export function residentBytes(pid: number | undefined): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** What the clients were told: the ledger the restarted server is checked against. */
export interface Acknowledged {
  /** patient id → version id → family name written at that version (only acknowledged ones). */
  versions: Map<string, Map<string, string>>;
  /** Every transaction sent, answered or not: bundle key → answered 200. */
  bundles: Map<string, boolean>;
  /** patient id → reads answered 200 (each must have its access record). */
  reads: Map<string, number>;
  /** Created patients: the ones updated and read (a transaction's keep their identifier). */
  created: string[];
  writes: number;
}

export const emptyLedger = (): Acknowledged => ({
  versions: new Map(),
  bundles: new Map(),
  reads: new Map(),
  created: [],
  writes: 0,
});

async function call(server: RunningServer, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function remember(ledger: Acknowledged, p: Patient): void {
  const id = p.id ?? '';
  const version = p.meta?.versionId ?? '';
  const family = p.name?.[0]?.family ?? '';
  if (!id || !version) throw new Error(`acknowledged without id or version: ${JSON.stringify(p)}`);
  const known = ledger.versions.get(id) ?? new Map<string, string>();
  known.set(version, family);
  ledger.versions.set(id, known);
  ledger.writes++;
}

let serial = 0;
const nextName = (kind: string): string => `Crash${kind}${process.pid}x${String(++serial)}`;

/** One writer's step: a create, an update of an acknowledged patient, a transaction, or a read. */
async function step(server: RunningServer, ledger: Acknowledged, kind: number): Promise<void> {
  const someId = ledger.created[Math.floor(Math.random() * ledger.created.length)];
  if (kind === 0 || !someId) {
    const res = await call(server, 'POST', '/fhir/R4/Patient', {
      resourceType: 'Patient',
      name: [{ family: nextName('Create') }],
    });
    if (res.status === 201) {
      const created = (await res.json()) as Patient;
      remember(ledger, created);
      ledger.created.push(created.id ?? '');
    }
  } else if (kind === 1) {
    const res = await call(server, 'PUT', `/fhir/R4/Patient/${someId}`, {
      resourceType: 'Patient',
      id: someId,
      name: [{ family: nextName('Update') }],
    });
    if (res.status === 200) remember(ledger, (await res.json()) as Patient);
  } else if (kind === 2) {
    const key = nextName('Bundle');
    ledger.bundles.set(key, false);
    const res = await call(server, 'POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: BUNDLE_SIZE }, (_, i) => ({
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: BUNDLE_SYSTEM, value: key }],
          name: [{ family: `${key}e${String(i)}` }],
        },
        request: { method: 'POST', url: 'Patient' },
      })),
    } satisfies Bundle);
    if (res.status === 200) {
      ledger.bundles.set(key, true);
      for (const entry of ((await res.json()) as Bundle).entry ?? []) {
        const loc = entry.response?.location ?? '';
        const m = /Patient\/([^/]+)\/_history\/([^/]+)/.exec(loc);
        if (!m?.[1] || !m[2]) throw new Error(`transaction entry without a location: ${loc}`);
        const known = ledger.versions.get(m[1]) ?? new Map<string, string>();
        known.set(m[2], '');
        ledger.versions.set(m[1], known);
        ledger.writes++;
      }
    }
  } else {
    const res = await call(server, 'GET', `/fhir/R4/Patient/${someId}`);
    await res.arrayBuffer();
    if (res.status === 200) ledger.reads.set(someId, (ledger.reads.get(someId) ?? 0) + 1);
  }
}

/** Set `stopped` before killing the server: the clients' failures after that are expected. */
export interface Stop {
  stopped: boolean;
}

/**
 * `writers` concurrent clients, each looping over creates, updates, transactions and reads, until
 * `stop.stopped`; a failure once stopped (the server killed) ends a client quietly: that write
 * was never acknowledged. A failure before that is a finding and is thrown.
 */
export async function drive(
  server: RunningServer,
  ledger: Acknowledged,
  writers: number,
  stop: Stop,
): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = w; !stop.stopped; n++) {
        try {
          await step(server, ledger, n % 4);
        } catch (err) {
          if (stop.stopped) return;
          throw err;
        }
      }
    }),
  );
}

/** What the restarted server got wrong; empty when everything acknowledged is there, intact. */
export async function checkAfterRestart(server: RunningServer, ledger: Acknowledged): Promise<string[]> {
  const problems: string[] = [];
  for (const [id, versions] of ledger.versions) {
    const res = await call(server, 'GET', `/fhir/R4/Patient/${id}`);
    if (res.status !== 200) {
      problems.push(`Patient/${id}: ${res.status} after restart`);
      continue;
    }
    const current = Number(((await res.json()) as Patient).meta?.versionId);
    for (const [version, family] of versions) {
      if (current < Number(version))
        problems.push(`Patient/${id}: version ${current} < acknowledged ${version}`);
      const old = await call(server, 'GET', `/fhir/R4/Patient/${id}/_history/${version}`);
      const body = (await old.json()) as Patient;
      if (old.status !== 200 || (family && body.name?.[0]?.family !== family))
        problems.push(`Patient/${id}/_history/${version}: ${old.status}, not as written`);
    }
  }
  for (const [key, answered] of ledger.bundles) {
    const res = await call(
      server,
      'GET',
      `/fhir/R4/Patient?identifier=${encodeURIComponent(`${BUNDLE_SYSTEM}|${key}`)}&_summary=count`,
    );
    const total = ((await res.json()) as Bundle).total ?? -1;
    if (answered ? total !== BUNDLE_SIZE : total !== 0 && total !== BUNDLE_SIZE)
      problems.push(
        `transaction ${key} (${answered ? 'answered' : 'unanswered'}): ${total} of ${BUNDLE_SIZE} entries`,
      );
  }
  for (const [id, reads] of ledger.reads) {
    const res = await call(server, 'GET', `/audit/access-report?patient=${id}`);
    const lines = ((await res.json()) as { lines?: Array<{ action: string; outcome: string }> }).lines ?? [];
    const onRecord = lines.filter((l) => l.action === 'read' && l.outcome === 'success').length;
    if (onRecord < reads) problems.push(`Patient/${id}: ${reads} answered reads, ${onRecord} on record`);
  }
  const verify = (await (await call(server, 'GET', '/audit/verify')).json()) as { ok?: boolean };
  if (verify.ok !== true) problems.push(`audit chain: ${JSON.stringify(verify)}`);
  return problems;
}

export interface CrashReport {
  cycles: number;
  acknowledgedWrites: number;
  transactions: number;
  answeredReads: number;
  kills: number;
  problems: string[];
}

/**
 * `cycles` times: start the server on the same data, drive it for a random 0.3–`maxRunMs` ms,
 * SIGKILL it; then start it once more and check everything acknowledged in all cycles.
 * (Checking only at the end keeps the short version short; a later cycle's updates only add
 * versions, so an earlier loss still shows.)
 */
export async function runCrashCycles(opts: {
  env: NodeJS.ProcessEnv;
  cycles: number;
  writers?: number;
  maxRunMs?: number;
  log?: (line: string) => void;
}): Promise<CrashReport> {
  const ledger = emptyLedger();
  const maxRunMs = opts.maxRunMs ?? 2000;
  let kills = 0;
  for (let c = 0; c < opts.cycles; c++) {
    const server = await startCustodian(opts.env);
    const ms = 300 + Math.floor(Math.random() * Math.max(1, maxRunMs - 300));
    const stop: Stop = { stopped: false };
    const timer = setTimeout(() => {
      stop.stopped = true;
      void killServer(server);
    }, ms);
    try {
      await drive(server, ledger, opts.writers ?? 4, stop);
    } finally {
      clearTimeout(timer);
      stop.stopped = true;
      await killServer(server);
    }
    kills++;
    opts.log?.(
      `cycle ${String(c + 1)}: killed after ${String(ms)} ms; ${String(ledger.writes)} writes acknowledged so far`,
    );
  }
  const last = await startCustodian(opts.env);
  try {
    const problems = await checkAfterRestart(last, ledger);
    return {
      cycles: opts.cycles,
      acknowledgedWrites: ledger.writes,
      transactions: [...ledger.bundles.values()].filter(Boolean).length,
      answeredReads: [...ledger.reads.values()].reduce((a, b) => a + b, 0),
      kills,
      problems,
    };
  } finally {
    await killServer(last, 'SIGTERM');
  }
}
