import { randomUUID } from 'node:crypto';
import type { Communication, Encounter, Task, TaskInput } from '@medplum/fhirtypes';
import { badRequest, conflict, forbidden, notFound } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { referencedId } from '../fhir/definitions.ts';
import { practitionerOf } from './documents/indexing.ts';
import { TASK_SYSTEM } from './deficiency-task.ts';

/**
 * Physician queries as AHIMA/ACDIS practice wants them: a coder or CDI specialist asks the
 * provider about an encounter, quoting the clinical indicators, with multiple-choice answers that
 * always include "other" and "clinically undetermined"; a query offering a single clinical
 * option is leading and refused. The provider answers in the product; the answer is a
 * Communication linked to the encounter (part of the record) and the query Task is completed.
 * Turnaround (answered - sent) is kept in completeness_query.
 */

export const QUERY_CODE = 'physician-query';
export const OTHER = 'Other';
export const UNDETERMINED = 'Clinically undetermined';
const INPUT_SYSTEM = 'urn:custodian:query-part';

export interface QueryRequest {
  encounter: string;
  question: string;
  indicators: string[];
  options: string[];
}

export interface QueryAnswer {
  option: string;
  /** Required with "Other": the provider's own words. */
  text?: string | undefined;
}

type QueryTask = Task & { id: string };

const part = (code: string, value: string): TaskInput => ({
  type: { coding: [{ system: INPUT_SYSTEM, code }] },
  valueString: value,
});

const partsOf = (task: Task, code: string): string[] =>
  (task.input ?? [])
    .filter((i) => i.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === code))
    .map((i) => i.valueString ?? '');

function texts(value: unknown, field: string, max: number): string[] {
  if (!Array.isArray(value)) throw badRequest(`${field} must be a list of texts`, [field]);
  const out = value.map((v) => (typeof v === 'string' ? v.trim() : ''));
  if (out.some((v) => v.length === 0 || v.length > max))
    throw badRequest(`${field} must hold texts of 1 to ${max} characters`, [field]);
  return out;
}

/** The form's checks: indicators quoted, at least two clinical options besides the two always offered. */
export function parseQuery(body: unknown): QueryRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const encounter =
    typeof b.encounter === 'string'
      ? /^(?:Encounter\/)?([A-Za-z0-9\-.]{1,64})$/.exec(b.encounter)?.[1]
      : undefined;
  if (!encounter) throw badRequest('encounter must be Encounter/<id>', ['encounter']);
  const question = typeof b.question === 'string' ? b.question.trim() : '';
  if (question.length < 5 || question.length > 2000)
    throw badRequest('question must be 5 to 2000 characters', ['question']);
  const indicators = texts(b.indicators, 'indicators', 1000);
  if (indicators.length === 0) throw badRequest('Quote at least one clinical indicator', ['indicators']);
  const fixed = new Set([OTHER.toLowerCase(), UNDETERMINED.toLowerCase()]);
  const options = [...new Set(texts(b.options, 'options', 300).filter((o) => !fixed.has(o.toLowerCase())))];
  if (options.length < 2)
    throw badRequest(
      'A query must offer at least two clinically reasonable options (besides "Other" and "Clinically undetermined"): a single option leads the provider',
      ['options'],
    );
  if (options.length > 10) throw badRequest('At most 10 options', ['options']);
  return { encounter, question, indicators, options: [...options, OTHER, UNDETERMINED] };
}

/** Sends a query to the encounter's attending (or `provider`), as a Task owned by that Practitioner. */
export async function sendQuery(
  store: FhirStore,
  request: QueryRequest,
  provider?: string,
): Promise<QueryTask> {
  store.assertMay('Task', 'create');
  const encounter = (await store.read('Encounter', request.encounter)) as Encounter & { id: string };
  const patient = referencedId(encounter.subject, 'Patient');
  if (!patient) throw badRequest(`Encounter/${encounter.id} has no patient`, ['encounter']);
  const owner =
    provider ??
    (encounter.participant ?? [])
      .map((p) => referencedId(p.individual, 'Practitioner'))
      .find((id): id is string => !!id);
  if (!owner) throw badRequest('The encounter names no practitioner: give provider', ['provider']);
  await store.read('Practitioner', owner);
  const now = new Date().toISOString();
  const task: QueryTask = {
    resourceType: 'Task',
    id: randomUUID(),
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: TASK_SYSTEM, code: QUERY_CODE, display: 'Physician query' }] },
    description: request.question,
    focus: { reference: `Encounter/${encounter.id}` },
    for: { reference: `Patient/${patient}` },
    owner: { reference: `Practitioner/${owner}` },
    requester: { display: store.ctx.username },
    authoredOn: now,
    lastModified: now,
    input: [
      part('question', request.question),
      ...request.indicators.map((i) => part('clinical-indicator', i)),
      ...request.options.map((o) => part('option', o)),
    ],
  };
  await store.db.transaction(async (tx) => {
    await store.writeInTransaction(tx, [task], []);
    await tx.query(
      `INSERT INTO completeness_query (task_id, patient_id, encounter_id, owner_id, sent_by, status, sent_at)
       VALUES ($1, $2, $3, $4, $5, 'requested', $6)`,
      [task.id, patient, encounter.id, owner, store.ctx.username, now],
    );
  });
  return task;
}

/**
 * The owner answers: one of the offered options ("Other" with their own words). The answer is a
 * Communication on the encounter, and the query Task completes with it as output.
 */
export async function answerQuery(
  store: FhirStore,
  taskId: string,
  answer: QueryAnswer,
): Promise<{ task: QueryTask; communication: Communication & { id: string } }> {
  const me = await practitionerOf(store);
  if (!me) throw forbidden(`User ${store.ctx.username} is not linked to a Practitioner`);
  const now = new Date().toISOString();
  return store.db.transaction(async (tx) => {
    const task = (await store.readForUpdate(tx, 'Task', taskId)) as QueryTask;
    if (!task.code?.coding?.some((c) => c.system === TASK_SYSTEM && c.code === QUERY_CODE))
      throw notFound(`Task/${taskId} is not a physician query`);
    if (task.owner?.reference !== `Practitioner/${me.id}`)
      throw forbidden('Only the queried provider answers');
    if (task.status !== 'requested') throw conflict(`The query is ${task.status}`);
    const options = partsOf(task, 'option');
    if (!options.includes(answer.option))
      throw badRequest(`option must be one of: ${options.join('; ')}`, ['option']);
    const words = answer.text?.trim();
    if (answer.option === OTHER && !words) throw badRequest('Say what else, in text, with "Other"', ['text']);
    const response = words ? `${answer.option}: ${words}` : answer.option;
    const communication: Communication & { id: string } = {
      resourceType: 'Communication',
      id: randomUUID(),
      status: 'completed',
      basedOn: [{ reference: `Task/${task.id}` }],
      category: [
        { coding: [{ system: TASK_SYSTEM, code: QUERY_CODE, display: 'Physician query response' }] },
      ],
      ...(task.for?.reference ? { subject: { reference: task.for.reference } } : {}),
      ...(task.focus?.reference ? { encounter: { reference: task.focus.reference } } : {}),
      sent: now,
      sender: { reference: `Practitioner/${me.id}` },
      payload: [
        { contentString: `Query: ${partsOf(task, 'question')[0] ?? task.description ?? ''}` },
        ...partsOf(task, 'clinical-indicator').map((i) => ({ contentString: `Clinical indicator: ${i}` })),
        { contentString: `Provider response: ${response}` },
      ],
    };
    const done: QueryTask = {
      ...task,
      status: 'completed',
      lastModified: now,
      output: [
        { type: { text: 'answer' }, valueString: response },
        { type: { text: 'response' }, valueReference: { reference: `Communication/${communication.id}` } },
      ],
    };
    await store.writeInTransaction(tx, [communication, done], []);
    await tx.query(
      `UPDATE completeness_query SET status = 'completed', answered_at = $2, communication_id = $3 WHERE task_id = $1`,
      [task.id, now, communication.id],
    );
    return { task: done, communication };
  });
}

export interface QuerySummary {
  taskId: string;
  encounterId: string;
  patientId: string;
  ownerId: string;
  sentBy: string;
  status: string;
  sentAt: string;
  answeredAt: string | null;
  turnaroundHours: number | null;
}

/**
 * Queries (all, or one provider's), newest first, narrowed to those the caller may see, with
 * their turnaround and the average turnaround of the answered ones.
 */
export async function listQueries(
  store: FhirStore,
  filter: { owner?: string | undefined; status?: 'open' | 'answered' | 'all' },
): Promise<{
  queries: Array<QuerySummary & { task: Task | undefined }>;
  averageTurnaroundHours: number | null;
}> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.owner) {
    params.push(filter.owner);
    where.push(`owner_id = $${params.length}`);
  }
  if (filter.status === 'open') where.push(`status = 'requested'`);
  if (filter.status === 'answered') where.push(`status = 'completed'`);
  const res = await store.db.query<{
    task_id: string;
    encounter_id: string;
    patient_id: string;
    owner_id: string;
    sent_by: string;
    status: string;
    sent_at: Date | string;
    answered_at: Date | string | null;
    hours: number | string | null;
  }>(
    `SELECT task_id, encounter_id, patient_id, owner_id, sent_by, status, sent_at, answered_at,
            extract(epoch FROM answered_at - sent_at) / 3600 AS hours
       FROM completeness_query ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY sent_at DESC LIMIT 500`,
    params,
  );
  const tasks = new Map(
    (
      (await store.readMany(
        'Task',
        res.rows.map((r) => r.task_id),
      )) as QueryTask[]
    ).map((t) => [t.id, t]),
  );
  const queries = res.rows
    .filter((r) => tasks.has(r.task_id))
    .map((r) => ({
      taskId: r.task_id,
      encounterId: r.encounter_id,
      patientId: r.patient_id,
      ownerId: r.owner_id,
      sentBy: r.sent_by,
      status: r.status,
      sentAt: new Date(r.sent_at).toISOString(),
      answeredAt: r.answered_at ? new Date(r.answered_at).toISOString() : null,
      turnaroundHours: r.hours === null ? null : Math.round(Number(r.hours) * 100) / 100,
      task: tasks.get(r.task_id),
    }));
  const answered = queries.filter((q) => q.turnaroundHours !== null);
  const average =
    answered.length > 0
      ? Math.round((answered.reduce((n, q) => n + (q.turnaroundHours ?? 0), 0) / answered.length) * 100) / 100
      : null;
  return { queries, averageTurnaroundHours: average };
}
