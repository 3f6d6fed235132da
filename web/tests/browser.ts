import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Role } from '../../src/shared/index.ts';
import { importFiles } from '../../src/bulk/import.ts';
import { cliContext } from '../../src/cli/context.ts';
import { repoRoot } from '../../src/app/config.ts';
import { FhirStore } from '../../src/fhir/store.ts';
import { hasSharedTestdata, sharedTestdata } from '../../src/testing/shared-testdata.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../src/testing/test-server.ts';

/**
 * The browser test harness for every screen of the web application: builds web/dist when
 * stale, starts a real server on a fresh database seeded with Synthea data, drives Debian's
 * Chromium through playwright-core, and offers login, screenshot and accessibility helpers.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const RESULTS_DIR = join(repoRoot, 'test-results');

/** Synthea bundles loaded by default: small ones, two sharing nothing, one to label restricted. */
export const DEFAULT_PATIENT_FILES = [
  'Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json',
  'Cecelia952_Romaguera67_f1731e33-dc55-4ee8-72d7-cece2e49bedd.json',
  'Jani266_Reynolds644_304f9946-5db8-dc6f-e060-48b9fea3ca5d.json',
];

export interface BrowserEnv {
  server: TestServer;
  browser: Browser;
  /** A fresh browser context and page (own session storage) at the given viewport. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Messages the pages logged as errors (uncaught exceptions, CSP refusals), for assertions. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Builds the web UI if its sources changed (the same script `npm start` and `npm test` run).
 * Browser test files run in parallel; a lock folder makes the others wait for one build instead
 * of emptying web/dist under each other's servers.
 */
export function buildWeb(): void {
  const lock = join(repoRoot, 'web', '.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building: wait, then check again (a lock older than 3 minutes is stale).
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    const env = { ...process.env, NODE_ENV: 'production' };
    const res = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-web.mjs')], {
      cwd: repoRoot,
      encoding: 'utf8',
      env,
    });
    if (res.status !== 0) throw new Error(`web build failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Imports the Synthea organisation and practitioner files and the given patient bundles. */
export async function seedSynthea(
  server: TestServer,
  patientFiles: string[] = DEFAULT_PATIENT_FILES,
): Promise<void> {
  // Without the shared test data only tests that import no patient bundles run (app.test.ts skips).
  if (!hasSharedTestdata && patientFiles.length === 0) return;
  const dir = sharedTestdata('synthea');
  const shared = ['hospitalInformation1633536936158.json', 'practitionerInformation1633536936158.json'];
  const report = await importFiles(
    new FhirStore(server.db, cliContext()),
    [...shared, ...patientFiles].map((f) => join(dir, f)),
  );
  if (report.failures.length > 0)
    throw new Error(`seeding failed: ${JSON.stringify(report.failures.slice(0, 3))}`);
}

export async function startBrowserEnv(options: { patientFiles?: string[] } = {}): Promise<BrowserEnv> {
  buildWeb();
  const [server, browser] = await Promise.all([
    startTestServer({ web: true }),
    chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ]);
  await seedSynthea(server, options.patientFiles);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    server,
    browser,
    pageErrors,
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport, baseURL: server.url });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        // Refused requests (401 on a wrong password, 404 for a worklist not built yet) are expected.
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
          pageErrors.push(`console: ${msg.text()}`);
      });
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await server.stop();
    },
  };
}

export const usernameOf = (role: Role): string => (role === 'admin' ? 'admin' : `${role}-user`);

/** Signs in through the login form and waits for the home page. */
export async function loginAs(
  page: Page,
  role: Role,
  options: { purpose?: string; password?: string } = {},
): Promise<void> {
  await page.goto('/app/login');
  await page.getByLabel('User name').fill(usernameOf(role));
  await page.getByLabel('Password').fill(options.password ?? TEST_PASSWORD);
  if (options.purpose) await page.getByLabel('Purpose of use').selectOption(options.purpose);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (options.password === undefined) await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
}

/** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

/**
 * Runs axe-core on the page and returns its serious and critical violations. addScriptTag({ path })
 * would insert an inline <script>, which the server's Content-Security-Policy (script-src 'self')
 * rightly refuses; so axe's source is evaluated through the DevTools protocol, which CSP does not
 * govern, and the app's own CSP stays in force for everything else the test checks.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!hasAxe) await page.evaluate(readFileSync(AXE_PATH, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
