import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every setting Custodian reads from the environment, with defaults that work out of the box. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  demo: boolean;
  demoPatients: number;
  adminUser: string;
  adminPassword: string | undefined;
  codesetsDir: string | undefined;
  mllpPort: number;
  mllpHost: string;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tokenTtlSeconds: number;
  corsOrigins: string[];
  maxBodyBytes: number;
  /** Largest document upload (POST /documents). */
  maxDocumentBytes: number;
  /** The state whose release-of-information deadlines apply where stricter than HIPAA (e.g. CA). */
  roiState: string | undefined;
  /** A JSON file of release-of-information fee schedules by requester type (src/disclosure/fees.ts). */
  roiFeesFile: string | undefined;
}

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const CONFIG_HELP: ReadonlyArray<readonly [string, string]> = [
  ['CUSTODIAN_PORT', 'HTTP port (default 8080)'],
  ['CUSTODIAN_HOST', 'HTTP address (default 127.0.0.1)'],
  ['DATABASE_URL', 'postgres://... to use a PostgreSQL server instead of embedded PGlite'],
  ['CUSTODIAN_DATA_DIR', 'data folder for the embedded database (default ./data)'],
  ['CUSTODIAN_DEMO', '0 to skip loading demo patients into a fresh database (default 1)'],
  ['CUSTODIAN_DEMO_PATIENTS', 'how many demo patients a fresh database gets (default 300)'],
  ['CUSTODIAN_ADMIN_USER', 'first administrator user name (default admin)'],
  ['CUSTODIAN_ADMIN_PASSWORD', 'first administrator password (default: generated and printed once)'],
  [
    'CUSTODIAN_CODESETS_DIR',
    "folder of official code set release files (default the repository's data/codesets; none = do not load)",
  ],
  ['CUSTODIAN_MLLP_PORT', 'HL7 v2 MLLP listener port (default 2575)'],
  ['CUSTODIAN_MLLP_HOST', 'HL7 v2 MLLP listener address (default 127.0.0.1)'],
  ['CUSTODIAN_TLS_CERT / CUSTODIAN_TLS_KEY', 'PEM files: serve HTTPS when both are set'],
  ['CUSTODIAN_TOKEN_TTL', 'access token lifetime in seconds (default 3600)'],
  ['CUSTODIAN_CORS_ORIGINS', 'comma-separated origins allowed by CORS (default none)'],
  ['CUSTODIAN_MAX_DOCUMENT_BYTES', 'largest uploaded document, in bytes (default 26214400: 25 MB)'],
  [
    'CUSTODIAN_ROI_STATE',
    'state whose stricter access-request deadlines apply, e.g. CA or TX (default HIPAA only)',
  ],
  [
    'CUSTODIAN_ROI_FEES',
    'JSON file of release fee schedules by requester type, overriding the defaults (src/disclosure/README.md)',
  ],
];

function int(value: string | undefined, fallback: number): number {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isInteger(n) ? n : fallback;
}

/** The official code set files committed in the repository (public domain; see its README.md). */
export const repoCodesetsDir = resolve(REPO_ROOT, 'data', 'codesets');

function defaultCodesetsDir(): string | undefined {
  return existsSync(repoCodesetsDir) ? repoCodesetsDir : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: int(env.CUSTODIAN_PORT, 8080),
    host: env.CUSTODIAN_HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.CUSTODIAN_DATA_DIR || './data'),
    demo: env.CUSTODIAN_DEMO !== '0',
    demoPatients: int(env.CUSTODIAN_DEMO_PATIENTS, 300),
    adminUser: env.CUSTODIAN_ADMIN_USER || 'admin',
    adminPassword: env.CUSTODIAN_ADMIN_PASSWORD || undefined,
    codesetsDir:
      env.CUSTODIAN_CODESETS_DIR === 'none' ? undefined : env.CUSTODIAN_CODESETS_DIR || defaultCodesetsDir(),
    mllpPort: int(env.CUSTODIAN_MLLP_PORT, 2575),
    mllpHost: env.CUSTODIAN_MLLP_HOST || '127.0.0.1',
    tlsCert: env.CUSTODIAN_TLS_CERT || undefined,
    tlsKey: env.CUSTODIAN_TLS_KEY || undefined,
    tokenTtlSeconds: int(env.CUSTODIAN_TOKEN_TTL, 3600),
    corsOrigins: (env.CUSTODIAN_CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    maxBodyBytes: int(env.CUSTODIAN_MAX_BODY_BYTES, 50 * 1024 * 1024),
    maxDocumentBytes: int(env.CUSTODIAN_MAX_DOCUMENT_BYTES, 25 * 1024 * 1024),
    roiState: env.CUSTODIAN_ROI_STATE || undefined,
    roiFeesFile: env.CUSTODIAN_ROI_FEES || undefined,
  };
}

/** The PostgreSQL server the test suite also runs against (CI sets it). */
export function testDatabaseUrl(): string | undefined {
  return process.env.CUSTODIAN_TEST_DATABASE_URL || undefined;
}

/** Where the shared test data lives (../shared/testdata beside the repository). */
export function sharedTestdataDir(): string {
  return process.env.CUSTODIAN_TESTDATA_DIR || resolve(REPO_ROOT, '..', 'shared', 'testdata');
}

export const repoRoot = REPO_ROOT;
