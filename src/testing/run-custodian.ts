import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { repoRoot } from '../app/config.ts';

/** What a `custodian` command printed and how it ended. */
export interface CommandRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `custodian` command (bin/custodian.js in a node process of its own) with this
 * environment, asynchronously: a spawnSync would block the test worker for as long as the command
 * runs, and vitest's worker calls time out under load. A command still running after `timeoutMs`
 * is killed (its status is then null). `onSpawn` gets the child, e.g. to kill what is left at the end.
 */
export async function runCustodian(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CommandRun> {
  const child = spawnCustodian(args, env, options.onSpawn);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

/**
 * Starts the real product (`custodian start`) with this environment and resolves once it says it
 * runs, with the address it listens on; rejects, with what it printed, if it ends first or (with
 * `timeoutMs`) is not running by then. The caller stops it (`onSpawn` gets it at once, e.g. to
 * kill what is left at the end).
 */
export async function startCustodian(
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnCustodian(['start'], env, options.onSpawn);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Killed as well as refused: a caller without onSpawn has no other way to stop it.
    const timer = options.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`custodian start did not start: ${output}`));
        }, options.timeoutMs)
      : undefined;
    const onData = (chunk: string) => {
      output += chunk;
      const running = /running at (http:\/\/[^/\s]+)/.exec(output);
      if (running?.[1]) {
        clearTimeout(timer);
        resolve(running[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`custodian start ended (${String(code)}): ${output}`));
    });
  });
  return { child, url };
}

/** bin/custodian.js in a node process of its own, its output piped for the caller to read. */
function spawnCustodian(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onSpawn: ((child: ChildProcess) => void) | undefined,
): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'custodian.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(child);
  return child;
}
