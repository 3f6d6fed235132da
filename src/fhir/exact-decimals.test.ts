import type { Bundle } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Issue #14 item 4: decimals are stored and answered exactly as sent (0.40 stays 0.40, 1.0
 * stays 1.0, 1E-22 stays 1E-22) by every path that answers a resource. Bodies are sent and
 * answers read as text: JSON.parse would hide the difference.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

/** An Observation whose numbers JavaScript (and jsonb) would write differently, as raw JSON text. */
function observationText(label: string, id?: string): string {
  return (
    `{"resourceType":"Observation",${id ? `"id":"${id}",` : ''}"status":"final","code":{"text":"${label}"},` +
    `"valueQuantity":{"value":0.40,"unit":"mmol/L"},` +
    `"referenceRange":[{"low":{"value":1.0},"high":{"value":1E-22}}],` +
    `"component":[{"code":{"text":"ratio"},"valueQuantity":{"value":-0.0500}},` +
    `{"code":{"text":"plain"},"valueQuantity":{"value":2.5}}]}`
  );
}

const EXACT = ['"value":0.40', '"value":1.0', '"value":1E-22', '"value":-0.0500', '"value":2.5'];

function expectExact(text: string, times = 1): void {
  for (const number of EXACT) expect(text.split(number).length - 1, number).toBe(times);
}

async function send(method: string, path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await server.call('him-technician', method, path, body);
  return { status: res.status, text: await res.text() };
}

async function get(path: string): Promise<string> {
  const res = await server.call('him-technician', 'GET', path);
  expect(res.status).toBe(200);
  return res.text();
}

describe('exact decimals', () => {
  it('create answers, and a read returns, the numbers as sent in the order sent', async () => {
    const created = await send('POST', '/fhir/R4/Observation', observationText('create'));
    expect(created.status).toBe(201);
    expectExact(created.text);
    const id = (JSON.parse(created.text) as { id: string }).id;
    const read = await get(`/fhir/R4/Observation/${id}`);
    expectExact(read);
    // The members keep the order they were sent in (jsonb would put "code" before "status").
    expect(read.indexOf('"status"')).toBeLessThan(read.indexOf('"code"'));
    expect(read.indexOf('"valueQuantity"')).toBeLessThan(read.indexOf('"referenceRange"'));
  });

  it('a member sent twice is read as JSON.parse reads it (the last one), its number as sent', async () => {
    const text = observationText('twice').replace('"value":0.40,', '"value":7.10,"value":0.40,');
    const created = await send('POST', '/fhir/R4/Observation', text);
    expect(created.status).toBe(201);
    expectExact(created.text);
    // Not anywhere in the text as a value (a timestamp such as 19:14:17.174 holds "7.1").
    expect(created.text).not.toMatch(/"value":7\.1/);
  });

  it('update, vread of both versions, and instance and type history keep them', async () => {
    const created = await send('POST', '/fhir/R4/Observation', observationText('history v1'));
    const id = (JSON.parse(created.text) as { id: string }).id;
    const updated = await send('PUT', `/fhir/R4/Observation/${id}`, observationText('history v2', id));
    expect(updated.status).toBe(200);
    expectExact(updated.text);
    expectExact(await get(`/fhir/R4/Observation/${id}/_history/1`));
    expectExact(await get(`/fhir/R4/Observation/${id}/_history/2`));
    expectExact(await get(`/fhir/R4/Observation/${id}`));
    const history = await get(`/fhir/R4/Observation/${id}/_history`);
    expectExact(history, 2);
    expect((JSON.parse(history) as Bundle).total).toBe(2);
    expectExact(await get(`/fhir/R4/Observation/_history?_count=1`));
  });

  it('search results, their includes and Patient/$everything keep them', async () => {
    const patient = await send(
      'POST',
      '/fhir/R4/Patient',
      '{"resourceType":"Patient","name":[{"family":"Exact"}]}',
    );
    const pid = (JSON.parse(patient.text) as { id: string }).id;
    const withSubject = observationText('searched').replace(
      '"status":"final",',
      `"status":"final","subject":{"reference":"Patient/${pid}"},`,
    );
    await send('POST', '/fhir/R4/Observation', withSubject);
    const found = await get(`/fhir/R4/Observation?code:text=searched`);
    expect((JSON.parse(found) as Bundle).entry).toHaveLength(1);
    expectExact(found);
    const included = await get(`/fhir/R4/Patient?_id=${pid}&_revinclude=Observation:subject`);
    expect((JSON.parse(included) as Bundle).entry).toHaveLength(2);
    expectExact(included);
    expectExact(await get(`/fhir/R4/Patient/${pid}/$everything`));
  });

  it('a transaction and a batch answer and store them', async () => {
    for (const type of ['transaction', 'batch']) {
      const entries = [0, 1, 2]
        .map(
          (i) =>
            `{"resource":${observationText(`${type} ${i}`)},"request":{"method":"POST","url":"Observation"}}`,
        )
        .join(',');
      const res = await send(
        'POST',
        '/fhir/R4',
        `{"resourceType":"Bundle","type":"${type}","entry":[${entries}]}`,
      );
      expect(res.status).toBe(200);
      expectExact(res.text, 3);
      for (const entry of (JSON.parse(res.text) as Bundle).entry ?? []) {
        const location = entry.response?.location?.split('/_history')[0] ?? '';
        expectExact(await get(`/fhir/R4/${location}`));
      }
    }
  });

  it('a patched value is its new value, and numbers sent as JavaScript writes them stay so', async () => {
    const created = await send('POST', '/fhir/R4/Observation', observationText('patched'));
    const id = (JSON.parse(created.text) as { id: string }).id;
    const patch = JSON.stringify([{ op: 'replace', path: '/valueQuantity/value', value: 0.5 }]);
    const res = await server.call('him-technician', 'PATCH', `/fhir/R4/Observation/${id}`, patch, {
      'content-type': 'application/json-patch+json',
    });
    expect(res.status).toBe(200);
    const read = await get(`/fhir/R4/Observation/${id}`);
    expect(read).toMatch(/"value": ?0\.5\b/);
    expect(read).not.toMatch(/"value": ?0\.40/);
    const plain = await send(
      'POST',
      '/fhir/R4/Observation',
      JSON.stringify(JSON.parse(observationText('plain'))),
    );
    expect(plain.text).toContain('"value":0.4,');
    expect(plain.text).toContain('"value":1e-22');
    const id2 = (JSON.parse(plain.text) as { id: string }).id;
    expect(await get(`/fhir/R4/Observation/${id2}`)).toMatch(/"value": ?0\.4\b/);
  });
});
