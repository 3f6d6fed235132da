import { randomUUID } from 'node:crypto';
import type { Condition, DiagnosticReport, Encounter, Patient } from '@medplum/fhirtypes';
import { badRequest, notFound, OutcomeError, outcome } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { behavioursFor, lateralityOf, siteKeyOf, topographyOf } from './casefinding-list.ts';
import { pendingCandidate } from './casefinding.ts';
import { visiblePatientNames } from './patient-names.ts';
import { runEdits, type EditFailure } from './edits.ts';
import { itemById, naaccrDateOf, type ItemValues } from './naaccr-items.ts';
import {
  casesOfPatient,
  insertCase,
  itemsOfPatients,
  loadedIcdO3,
  nextPatientIdNumber,
  setCaseStatus,
  writeItems,
  type CaseStatus,
  type RegistryCase,
} from './registry-tables.ts';

/**
 * Abstracts: a registry case and its NAACCR items (patient-level ones shared by the patient's
 * tumours). Accessioning a candidate opens a case prefilled from the chart; saving runs the
 * edits; completing is refused while an error-level edit fails.
 */

export interface Abstract {
  patient: string;
  patientName: string;
  caseId: string;
  status: CaseStatus;
  sourceCode: string | null;
  /** Patient-level and tumour-level items together, by naaccrId. */
  values: ItemValues;
  edits: EditFailure[];
}

const SEX_OF: Record<string, string> = { male: '1', female: '2', other: '3', unknown: '9' };

/** Patient-level items of the abstract (stored once per patient, case ''). */
function isPatientItem(naaccrId: string): boolean {
  return itemById(naaccrId)?.level === 'Patient';
}

function split(values: ItemValues): { patient: ItemValues; tumour: ItemValues } {
  const patient: ItemValues = {};
  const tumour: ItemValues = {};
  for (const [id, v] of Object.entries(values)) (isPatientItem(id) ? patient : tumour)[id] = v;
  return { patient, tumour };
}

/** Values sent by a form or an import: known items only, strings only, trimmed. */
export function parseValues(body: unknown): ItemValues {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('values must be an object of naaccrId: value');
  const out: ItemValues = {};
  for (const [id, v] of Object.entries(body as Record<string, unknown>)) {
    if (!itemById(id)) throw badRequest(`Unknown NAACCR item '${id}'`, [id]);
    if (typeof v !== 'string' || v.length > 100)
      throw badRequest(`${id} must be a string of at most 100 characters`, [id]);
    out[id] = v.trim();
  }
  return out;
}

async function caseOf(
  store: FhirStore,
  patientId: string,
  caseId: string,
): Promise<{ found: RegistryCase; others: RegistryCase[] }> {
  // Reading the patient through the caller's store authorises (and audits) the look at the chart.
  if (!(await store.visibleIds('Patient', [patientId])).has(patientId))
    throw notFound(`No registry case ${caseId}`);
  const cases = await casesOfPatient(store.db, patientId);
  const found = cases.find((c) => c.caseId === caseId);
  if (!found) throw notFound(`No registry case ${caseId} for Patient/${patientId}`);
  return { found, others: cases.filter((c) => c.caseId !== caseId) };
}

async function editsOf(
  store: FhirStore,
  patientId: string,
  c: RegistryCase,
  others: RegistryCase[],
  values: ItemValues,
): Promise<EditFailure[]> {
  const items = (await itemsOfPatients(store.db, [patientId])).get(patientId);
  return runEdits({
    values,
    sourceCode: c.sourceCode ?? undefined,
    otherTumours: others.map((o) => items?.get(o.caseId) ?? {}),
    icdo3: await loadedIcdO3(store.db),
  });
}

export async function readAbstract(store: FhirStore, patientId: string, caseId: string): Promise<Abstract> {
  const { found, others } = await caseOf(store, patientId, caseId);
  const items = (await itemsOfPatients(store.db, [patientId])).get(patientId);
  const values = { ...items?.get(''), ...items?.get(caseId) };
  const names = await visiblePatientNames(store, [patientId]);
  return {
    patient: `Patient/${patientId}`,
    patientName: names.get(patientId) ?? '',
    caseId,
    status: found.status,
    sourceCode: found.sourceCode,
    values,
    edits: await editsOf(store, patientId, found, others, values),
  };
}

/** The edits the form shows as the registrar types: nothing is saved. */
export async function checkAbstract(
  store: FhirStore,
  patientId: string,
  caseId: string,
  values: ItemValues,
): Promise<EditFailure[]> {
  const { found, others } = await caseOf(store, patientId, caseId);
  return editsOf(store, patientId, found, others, values);
}

function editsRefused(message: string, failures: EditFailure[]): OutcomeError {
  const errors = failures.filter((f) => f.level === 'error');
  const body = outcome('error', 'business-rule', message);
  body.issue = [
    ...(body.issue ?? []),
    ...errors.map((f) => ({
      severity: 'error' as const,
      code: 'business-rule' as const,
      diagnostics: f.message,
      details: { coding: [{ system: 'urn:custodian:registry-edit', code: f.id }], text: f.message },
      expression: f.items,
    })),
  ];
  return new OutcomeError(422, body);
}

/**
 * Saves the whole abstract (values replace the stored ones; an empty value clears an item) in
 * one transaction. A completed abstract stays completed only while its edits pass: a change that
 * breaks one is refused.
 */
export async function saveAbstract(
  store: FhirStore,
  patientId: string,
  caseId: string,
  values: ItemValues,
  options: { complete?: boolean } = {},
): Promise<Abstract> {
  const { found, others } = await caseOf(store, patientId, caseId);
  const edits = await editsOf(store, patientId, found, others, values);
  const complete = options.complete ?? found.status === 'complete';
  if (complete && edits.some((e) => e.level === 'error'))
    throw editsRefused('The abstract cannot be completed while error-level edits fail', edits);
  const parts = split(values);
  const site =
    values.primarySite && /^C\d{3}$/.test(values.primarySite)
      ? values.primarySite.slice(0, 3)
      : found.siteKey;
  await store.db.transaction(async (tx) => {
    await writeItems(tx, patientId, '', parts.patient);
    await writeItems(tx, patientId, caseId, parts.tumour);
    await setCaseStatus(tx, patientId, caseId, complete ? 'complete' : 'open', site);
  });
  return readAbstract(store, patientId, caseId);
}

/** Items the chart already tells: patient identity, the code's site, laterality and behaviour, dates. */
async function prefill(
  store: FhirStore,
  patientId: string,
  source: string,
  code: string,
): Promise<ItemValues> {
  const patient = (await store.read('Patient', patientId)) as Patient;
  const [type, id] = source.split('/') as [string, string];
  const record = (await store.read(type, id)) as Condition | DiagnosticReport;
  const diagnosed =
    record.resourceType === 'Condition'
      ? (record.onsetDateTime ?? record.recordedDate)
      : (record.effectiveDateTime ?? record.issued);
  const latest = await store.find({
    type: 'Encounter',
    where: [{ param: 'patient', references: [`Patient/${patientId}`] }],
    sort: [{ param: 'date', descending: true }],
    count: 1,
  });
  const encounter = latest.matches[0] as Encounter | undefined;
  const behaviours = behavioursFor(code);
  const values: ItemValues = {
    dateOfBirth: naaccrDateOf(patient.birthDate) ?? '',
    sex: SEX_OF[patient.gender ?? ''] ?? '',
    vitalStatus: patient.deceasedBoolean || patient.deceasedDateTime ? '0' : '1',
    dateOfLastContact: naaccrDateOf(encounter?.period?.end ?? encounter?.period?.start) ?? '',
    dateOfDiagnosis: naaccrDateOf(diagnosed) ?? '',
    primarySite: topographyOf(code) ?? '',
    laterality: lateralityOf(code) ?? '',
    behaviorCodeIcdO3: behaviours?.length === 1 ? (behaviours[0] ?? '') : '',
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
}

/**
 * Accessions a candidate as a new case: the patient gets a Patient ID Number on their first case,
 * the case its prefilled items; other pending candidates of the same patient and site are matched
 * to it. One transaction.
 */
export async function accessionCandidate(
  store: FhirStore,
  patientId: string,
  source: string,
): Promise<Abstract> {
  const candidate = await pendingCandidate(store, patientId, source);
  const values = await prefill(store, patientId, source, candidate.code);
  const caseId = randomUUID();
  const siteKey = values.primarySite ? values.primarySite.slice(0, 3) : siteKeyOf(candidate.code);
  await store.db.transaction(async (tx) => {
    const existing = await tx.query(
      `SELECT 1 FROM registry_item WHERE patient_id = $1 AND case_id = '' AND item_number = 20`,
      [patientId],
    );
    const parts = split(values);
    if (existing.rows.length === 0) parts.patient.patientIdNumber = await nextPatientIdNumber(tx);
    else for (const id of ['dateOfLastContact', 'vitalStatus']) delete parts.patient[id];
    await insertCase(tx, { patientId, caseId, siteKey, sourceCode: candidate.code, status: 'open' });
    await writeItems(tx, patientId, '', parts.patient);
    await writeItems(tx, patientId, caseId, parts.tumour);
    await tx.query(
      `UPDATE registry_suspense SET status = 'accessioned', case_id = $3, decided_by = $4, decided_at = now()
       WHERE patient_id = $1 AND source_ref = $2`,
      [patientId, source, caseId, store.ctx.username],
    );
    await tx.query(
      `UPDATE registry_suspense SET status = 'matched', case_id = $3
       WHERE patient_id = $1 AND site_key = $2 AND status IN ('new', 'review') AND source_ref <> $4`,
      [patientId, siteKey, caseId, source],
    );
  });
  return readAbstract(store, patientId, caseId);
}

export interface AbstractSummary {
  patient: string;
  patientName: string;
  caseId: string;
  status: CaseStatus;
  sourceCode: string | null;
  primarySite: string | null;
  dateOfDiagnosis: string | null;
  patientIdNumber: string | null;
}

/** The registry's cases the caller may see, oldest first. */
export async function listAbstracts(store: FhirStore, cases: RegistryCase[]): Promise<AbstractSummary[]> {
  const names = await visiblePatientNames(
    store,
    cases.map((c) => c.patientId),
  );
  const shown = cases.filter((c) => names.has(c.patientId));
  const items = await itemsOfPatients(store.db, [...new Set(shown.map((c) => c.patientId))]);
  return shown.map((c) => {
    const byCase = items.get(c.patientId);
    const tumour = byCase?.get(c.caseId) ?? {};
    return {
      patient: `Patient/${c.patientId}`,
      patientName: names.get(c.patientId) ?? '',
      caseId: c.caseId,
      status: c.status,
      sourceCode: c.sourceCode,
      primarySite: tumour.primarySite ?? null,
      dateOfDiagnosis: tumour.dateOfDiagnosis ?? null,
      patientIdNumber: byCase?.get('')?.patientIdNumber ?? null,
    };
  });
}
