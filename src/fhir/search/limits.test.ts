import type { CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../testing/test-db.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import {
  MAX_CHAIN_DEPTH,
  MAX_INCLUDES,
  MAX_SEARCH_CONDITIONS,
  MAX_SEARCH_PARAMETERS,
  MAX_SEARCH_QUERY_LENGTH,
  MAX_SEARCH_VALUES,
  MAX_SORT_KEYS,
  SEARCH_LIMIT_SYSTEM,
} from './limits.ts';

/**
 * Issue #21 item 3: one search with hundreds of AND-ed parameters froze the whole server (500:
 * 123 s on PGlite, then a 500). Every search is now counted against limits.ts before it is
 * parsed, and refused 400 beyond them without a search statement reaching the database.
 */

let server: TestServer;
/** Statements that select matches or count them: the search's own SQL (search.ts). */
let searchStatements = 0;

beforeAll(async () => {
  const db = await openTestDb();
  // The real database, with the search statements counted on their way to it.
  const counted: Db = {
    ...db,
    query: (sql, params, options) => {
      if (/ FROM fhir_resource r WHERE /.test(sql)) searchStatements++;
      return db.query(sql, params, options);
    },
  };
  server = await startTestServer({ db: counted });
});
afterAll(async () => server?.stop());

const repeat = (n: number, item: (i: number) => string): string =>
  Array.from({ length: n }, (_, i) => item(i)).join('&');
const list = (n: number, item: (i: number) => string): string =>
  Array.from({ length: n }, (_, i) => item(i)).join(',');

async function search(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return server.call('him-technician', 'GET', `/fhir/R4/${path}`, undefined, headers);
}

/** Asserts a 400 OperationOutcome naming the limit (its code, and its number in the text). */
async function expectRefused(res: Response, code: string, limit: number): Promise<void> {
  expect(res.status).toBe(400);
  const outcome = (await res.json()) as OperationOutcome;
  const issue = outcome.issue?.[0];
  expect(issue?.code).toBe('too-costly');
  expect(issue?.details?.coding?.[0]).toEqual({ system: SEARCH_LIMIT_SYSTEM, code });
  expect(issue?.diagnostics).toContain(String(limit));
}

describe('search limits (HTTP)', () => {
  it('refuses more filter parameters than the cap, before any search statement runs', async () => {
    const allowed = `Patient?${repeat(MAX_SEARCH_PARAMETERS, (i) => `family=f${i}`)}`;
    expect((await search(allowed)).status).toBe(200);
    // Result parameters are not filters.
    expect((await search(`Patient?family=x&${repeat(MAX_SEARCH_PARAMETERS, () => '_count=5')}`)).status).toBe(
      200,
    );
    expect(searchStatements).toBeGreaterThan(0);
    const before = searchStatements;
    const over = `Patient?${repeat(MAX_SEARCH_PARAMETERS + 1, (i) => `family=f${i}`)}`;
    await expectRefused(await search(over), 'parameters', MAX_SEARCH_PARAMETERS);
    // Unknown parameters ignored in lenient mode count too: each is still looked at.
    const unknown = `Patient?${repeat(MAX_SEARCH_PARAMETERS + 1, (i) => `nonsense${i}=x`)}`;
    await expectRefused(
      await search(unknown, { prefer: 'handling=lenient' }),
      'parameters',
      MAX_SEARCH_PARAMETERS,
    );
    expect(searchStatements).toBe(before);
  });

  it('refuses more values than the cap, ORs across parameters counted', async () => {
    const ids = (n: number) => list(n, (i) => `id-${i}`);
    expect((await search(`Patient?_id=${ids(MAX_SEARCH_VALUES)}`)).status).toBe(200);
    await expectRefused(
      await search(`Patient?_id=${ids(MAX_SEARCH_VALUES + 1)}`),
      'values',
      MAX_SEARCH_VALUES,
    );
    await expectRefused(
      await search(`Patient?_id=${ids(MAX_SEARCH_VALUES)}&family=x`),
      'values',
      MAX_SEARCH_VALUES,
    );
  });

  it('refuses chains deeper than the cap, chained and reverse-chained links together', async () => {
    const chain = (links: number) =>
      `Observation?subject:Patient.organization${'.partof'.repeat(links - 2)}.name=x`;
    expect((await search(chain(MAX_CHAIN_DEPTH))).status).toBe(200);
    await expectRefused(await search(chain(MAX_CHAIN_DEPTH + 1)), 'chain-depth', MAX_CHAIN_DEPTH);
    const has = (levels: number) =>
      `Patient?_has:Observation:patient:${'_has:Provenance:target:'.repeat(levels - 1)}_id=x`;
    expect((await search(has(2))).status).toBe(200);
    await expectRefused(await search(has(MAX_CHAIN_DEPTH + 1)), 'chain-depth', MAX_CHAIN_DEPTH);
  });

  it('refuses a search whose chains expand to more conditions than the cap', async () => {
    // performer may name four types with a `name`: each value is looked for in each of them.
    const names = (prefix: string) => list(20, (i) => `${prefix}${i}`);
    expect((await search(`Observation?performer.name=${names('a')}`)).status).toBe(200);
    await expectRefused(
      await search(`Observation?performer.name=${names('a')}&performer.name=${names('b')}`),
      'conditions',
      MAX_SEARCH_CONDITIONS,
    );
    // Naming the target type keeps the same search inside the budget.
    expect(
      (await search(`Observation?performer:Patient.name=${names('a')}&performer:Patient.name=${names('b')}`))
        .status,
    ).toBe(200);
  });

  it('refuses more _include/_revinclude parameters and _sort keys than the caps', async () => {
    const include = (n: number) => repeat(n, () => '_include=Observation:performer');
    expect((await search(`Observation?code=x&${include(MAX_INCLUDES)}`)).status).toBe(200);
    await expectRefused(
      await search(`Observation?code=x&${include(MAX_INCLUDES + 1)}`),
      'includes',
      MAX_INCLUDES,
    );
    const keys = ['family', 'given', 'birthdate', 'gender', '-_lastUpdated', '_id'];
    expect((await search(`Patient?_sort=${keys.slice(0, MAX_SORT_KEYS).join(',')}`)).status).toBe(200);
    await expectRefused(
      await search(`Patient?_sort=${keys.slice(0, MAX_SORT_KEYS + 1).join(',')}`),
      'sort-keys',
      MAX_SORT_KEYS,
    );
  });

  it('refuses a POST _search longer than a GET line may be', async () => {
    const post = (family: string) =>
      server.call('him-technician', 'POST', '/fhir/R4/Patient/_search', `family=${family}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
    expect((await post('a'.repeat(1000))).status).toBe(200);
    await expectRefused(
      await post('a'.repeat(MAX_SEARCH_QUERY_LENGTH)),
      'query-length',
      MAX_SEARCH_QUERY_LENGTH,
    );
  });

  it('answers /metadata beside the heaviest allowed search, and refuses the 100-parameter search of the issue', async () => {
    const heaviestAllowed = `Observation?${repeat(18, (i) => `performer.name=n${i}`)}`;
    const issueSearch = `Patient?${repeat(100, (i) => `name=x${i}`)}`;
    // Built on first use (every type's parameters): warm, so that its time below is waiting alone.
    expect((await server.call(null, 'GET', '/fhir/R4/metadata')).status).toBe(200);
    const started = Date.now();
    const at = <T>(p: Promise<T>) => p.then((value) => ({ value, ms: Date.now() - started }));
    const [heavy, refused, metadata] = await Promise.all([
      at(search(heaviestAllowed)),
      at(search(issueSearch)),
      at(server.call(null, 'GET', '/fhir/R4/metadata')),
    ]);
    expect(heavy.value.status).toBe(200);
    await expectRefused(refused.value, 'parameters', MAX_SEARCH_PARAMETERS);
    expect(metadata.value.status).toBe(200);
    // Loose and informational only: on PGlite the heavy one holds the event loop while it runs.
    console.log(
      `heaviest allowed search ${heavy.ms} ms; refused ${refused.ms} ms; /metadata ${metadata.ms} ms`,
    );
  });

  it('states the limits in the CapabilityStatement', async () => {
    const cs = (await (await server.call(null, 'GET', '/fhir/R4/metadata')).json()) as CapabilityStatement;
    const text = cs.rest?.[0]?.documentation ?? '';
    expect(text).toContain(`${MAX_SEARCH_PARAMETERS} filter parameters`);
    expect(text).toContain(SEARCH_LIMIT_SYSTEM);
  });
});
