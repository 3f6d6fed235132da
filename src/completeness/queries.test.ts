import type { Bundle, Communication, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChart, createPractitioner, NOTES, type Chart } from '../testing/chart-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { evaluateChangedCharts } from './watcher.ts';

let server: TestServer;
let provider: string;
let chart: Chart;

beforeAll(async () => {
  server = await startTestServer();
  provider = await createPractitioner(server, 'Queried', 'provider-user');
  chart = await createChart(server, {
    admitted: '2025-05-01T08:00:00Z',
    discharged: '2025-05-04T12:00:00Z',
    attending: provider,
    notes: [NOTES.historyAndPhysical],
  });
  await evaluateChangedCharts(server.db);
});
afterAll(async () => server?.stop());

const query = {
  question: 'Please clarify the type of anemia being treated.',
  indicators: ['Hgb 7.9 g/dL on day 2', 'Transfused 2 units PRBC'],
  options: ['Acute blood loss anemia', 'Anemia of chronic disease', 'Iron deficiency anemia'],
};

describe('physician queries', () => {
  it('refuses a leading query (a single clinical option) and one without indicators', async () => {
    const leading = await server.call('coder', 'POST', '/completeness/queries', {
      ...query,
      encounter: `Encounter/${chart.encounterId}`,
      options: ['Acute blood loss anemia', 'Other'],
    });
    expect(leading.status).toBe(400);
    const outcome = (await leading.json()) as { issue: Array<{ diagnostics?: string }> };
    expect(outcome.issue[0]?.diagnostics).toMatch(/single option leads/);
    const noIndicators = await server.call('coder', 'POST', '/completeness/queries', {
      ...query,
      encounter: `Encounter/${chart.encounterId}`,
      indicators: [],
    });
    expect(noIndicators.status).toBe(400);
    expect(
      (
        await server.call('provider', 'POST', '/completeness/queries', {
          ...query,
          encounter: chart.encounterId,
        })
      ).status,
    ).toBe(403);
  });

  it('round trip: sent by a coder to the attending, answered in the product, the answer on the record with its turnaround', async () => {
    const sent = await server.call('coder', 'POST', '/completeness/queries', {
      ...query,
      encounter: `Encounter/${chart.encounterId}`,
    });
    expect(sent.status).toBe(201);
    const task = (await sent.json()) as Task & { id: string };
    expect(task.owner?.reference).toBe(`Practitioner/${provider}`);
    expect(task.focus?.reference).toBe(`Encounter/${chart.encounterId}`);
    const options = (task.input ?? [])
      .filter((i) => i.type.coding?.[0]?.code === 'option')
      .map((i) => i.valueString);
    expect(options).toEqual([...query.options, 'Other', 'Clinically undetermined']);

    const inbox = (await (await server.call('provider', 'GET', '/completeness/inbox')).json()) as {
      practitioner: { id: string };
      queries: Array<{ taskId: string }>;
      deficiencies: { deficiencies: Array<{ ruleId: string }> };
    };
    expect(inbox.practitioner.id).toBe(provider);
    expect(inbox.queries.map((q) => q.taskId)).toEqual([task.id]);
    expect(inbox.deficiencies.deficiencies.map((d) => d.ruleId)).toEqual(['discharge-summary']);

    const answerPath = `/completeness/queries/${task.id}/answer`;
    expect((await server.call('coder', 'POST', answerPath, { option: 'Other' })).status).toBe(403);
    expect(
      (await server.call('provider', 'POST', answerPath, { option: 'Something not offered' })).status,
    ).toBe(400);
    expect((await server.call('provider', 'POST', answerPath, { option: 'Other' })).status).toBe(400);
    const answered = await server.call('provider', 'POST', answerPath, { option: 'Acute blood loss anemia' });
    expect(answered.status).toBe(200);
    const { communication } = (await answered.json()) as { communication: Communication & { id: string } };

    const onRecord = (await (
      await server.call(
        'him-technician',
        'GET',
        `/fhir/R4/Communication?encounter=Encounter/${chart.encounterId}`,
      )
    ).json()) as Bundle;
    const stored = onRecord.entry?.map((e) => e.resource as Communication) ?? [];
    expect(stored.map((c) => c.id)).toEqual([communication.id]);
    expect(stored[0]?.basedOn?.[0]?.reference).toBe(`Task/${task.id}`);
    expect(stored[0]?.payload?.map((p) => p.contentString)).toContain(
      'Provider response: Acute blood loss anemia',
    );
    const closed = (await (await server.call('coder', 'GET', `/fhir/R4/Task/${task.id}`)).json()) as Task;
    expect(closed.status).toBe('completed');
    expect(
      (await server.call('provider', 'POST', answerPath, { option: 'Acute blood loss anemia' })).status,
    ).toBe(409);

    const list = (await (
      await server.call('him-director', 'GET', `/completeness/queries?provider=${provider}&status=answered`)
    ).json()) as {
      queries: Array<{ taskId: string; turnaroundHours: number | null; answeredAt: string | null }>;
      averageTurnaroundHours: number | null;
    };
    expect(list.queries.map((q) => q.taskId)).toEqual([task.id]);
    expect(list.queries[0]?.turnaroundHours).toBeGreaterThanOrEqual(0);
    expect(list.queries[0]?.answeredAt).not.toBeNull();
    expect(list.averageTurnaroundHours).toBe(list.queries[0]?.turnaroundHours);
  });
});
