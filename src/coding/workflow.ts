import type {
  Bundle,
  Claim,
  Condition,
  Encounter,
  OperationOutcome,
  Patient,
  Procedure,
  Resource,
  Task,
} from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import { processBundle } from '../fhir/bundle.ts';
import { badRequest, conflict, OutcomeError } from '../fhir/outcomes.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import type { FhirStore } from '../fhir/store.ts';
import {
  buildCodedRecord,
  claimOrder,
  isCoded,
  isRetired,
  poaFromConcept,
  procedureSystem,
  type CodedDiagnosis,
  type CodedProcedure,
  withState,
} from './coded-record.ts';
import { fiscalYear, validateCoding } from './edits.ts';
import {
  codingRequest,
  encounterContext,
  mrnOf,
  patientIdOf,
  patientName,
  type AssignedCodes,
  type EncounterContext,
} from './encounter-context.ts';
import { lookupCode } from './lookup.ts';
import { parseCodingRequest } from './request.ts';
import { systemFromUri } from './systems.ts';
import type { Edit } from './types.ts';
import {
  claimIdFor,
  eventsOf,
  nextTask,
  overrideIssue,
  overridesOf,
  ownerOf,
  stateOf,
  taskIdFor,
  type CodingEvent,
  type CodingState,
  type Override,
} from './work-item.ts';

/**
 * The encounter coding workflow: read an encounter with its codes, save codes (validated, written
 * with the Encounter, Claim and work item in one transaction bundle), and finalize once every
 * error edit is cleared or overridden with a reason. All reads and writes go through the caller's
 * FhirStore, so each is authorised and audited.
 */

export interface EncounterCodingView {
  encounter: {
    id: string;
    class: EncounterContext['classLabel'];
    status: string;
    admit: string;
    discharge: string;
    type?: string | undefined;
    reason?: string | undefined;
  };
  patient: {
    id: string;
    name: string;
    mrn?: string | undefined;
    birthDate?: string | undefined;
    sex: string;
    age: number;
  };
  state: CodingState;
  coder?: string | undefined;
  lastModified?: string | undefined;
  codes: { diagnoses: CodedDiagnosis[]; procedures: CodedProcedure[] };
  /** What the clinicians documented for the encounter (the coder's source, never changed here). */
  documented: {
    diagnoses: Array<{ code: string; display: string; system: string }>;
    procedures: Array<{ code: string; display: string; system: string; date?: string | undefined }>;
  };
  edits: Edit[];
  overrides: Override[];
  /** The work item's log: coded, finalized, reopened (with the reason), assigned (to whom). */
  history: CodingEvent[];
}

interface Loaded {
  encounter: Encounter;
  patient: Patient;
  ctx: EncounterContext;
  task: Task | undefined;
  claim: Claim | undefined;
  conditions: Condition[];
  procedures: Procedure[];
}

async function byId<T extends Resource>(store: FhirStore, type: string, id: string): Promise<T | undefined> {
  return (await store.readMany(type, [id]))[0] as T | undefined;
}

/** Every record of `type` that refers to the encounter (`ref`, `Encounter/id`). */
async function ofEncounter<T extends Resource>(store: FhirStore, type: string, ref: string): Promise<T[]> {
  const where: Criterion[] = [{ param: 'encounter', references: [ref] }];
  return (await store.findAll({ type, where, count: 1000 })).matches as T[];
}

async function load(store: FhirStore, encounterId: string): Promise<Loaded> {
  const encounter = (await store.read('Encounter', encounterId)) as Encounter;
  const patientId = patientIdOf(encounter);
  if (!patientId) throw conflict(`Encounter/${encounterId} has no Patient subject`);
  const patient = (await store.read('Patient', patientId)) as Patient;
  const ctx = encounterContext(encounter, patient);
  const ref = `Encounter/${encounterId}`;
  const [task, claim, conditions, procedures] = await Promise.all([
    byId<Task>(store, 'Task', taskIdFor(encounterId)),
    byId<Claim>(store, 'Claim', claimIdFor(encounterId)),
    ofEncounter<Condition>(store, 'Condition', ref),
    ofEncounter<Procedure>(store, 'Procedure', ref),
  ]);
  return { encounter, patient, ctx, task, claim, conditions, procedures };
}

/** The saved codes, in claim order, read back from the Claim. */
function savedCodes(claim: Claim | undefined): { diagnoses: CodedDiagnosis[]; procedures: CodedProcedure[] } {
  if (!claim) return { diagnoses: [], procedures: [] };
  const diagnoses = (claim.diagnosis ?? []).map((d) => {
    const coding = d.diagnosisCodeableConcept?.coding?.[0];
    return {
      code: coding?.code ?? '',
      display: coding?.display ?? '',
      principal: !!d.type?.some((t) => t.coding?.some((c) => c.code === 'principal')),
      poa: poaFromConcept(d.onAdmission),
    };
  });
  const procedures = (claim.procedure ?? []).map((p) => {
    const coding = p.procedureCodeableConcept?.coding?.[0];
    const code = coding?.code ?? '';
    return {
      code,
      display: coding?.display ?? '',
      system: systemFromUri(coding?.system ?? '') ?? procedureSystem(code),
      date: p.date?.slice(0, 10),
    };
  });
  return { diagnoses, procedures };
}

function assigned(codes: { diagnoses: CodedDiagnosis[]; procedures: CodedProcedure[] }): AssignedCodes {
  return {
    diagnoses: codes.diagnoses.map((d) => ({ code: d.code, principal: d.principal, poa: d.poa })),
    procedures: codes.procedures.map((p) => ({ code: p.code, date: p.date })),
  };
}

function display(r: Condition | Procedure): { code: string; display: string; system: string } {
  const coding = r.code?.coding?.[0];
  return {
    code: coding?.code ?? '',
    display: coding?.display ?? r.code?.text ?? '',
    system: coding?.system ?? '',
  };
}

export async function getEncounterCoding(
  db: Db,
  store: FhirStore,
  encounterId: string,
): Promise<EncounterCodingView> {
  const l = await load(store, encounterId);
  const codes = savedCodes(l.claim);
  const hasCodes = codes.diagnoses.length + codes.procedures.length > 0;
  const edits = hasCodes ? (await validateCoding(db, codingRequest(l.ctx, assigned(codes)))).edits : [];
  const clinical = <T extends Condition | Procedure>(rs: T[]): T[] =>
    rs.filter((r) => !isCoded(r) && !isRetired(r));
  return {
    encounter: {
      id: encounterId,
      class: l.ctx.classLabel,
      status: l.encounter.status,
      admit: l.ctx.admit,
      discharge: l.ctx.discharge,
      type: l.encounter.type?.[0]?.text ?? l.encounter.type?.[0]?.coding?.[0]?.display,
      reason: l.encounter.reasonCode?.[0]?.text,
    },
    patient: {
      id: l.ctx.patientId,
      name: patientName(l.patient),
      mrn: mrnOf(l.patient),
      birthDate: l.patient.birthDate,
      sex: l.ctx.sex,
      age: l.ctx.age,
    },
    state: stateOf(l.task),
    coder: ownerOf(l.task),
    lastModified: l.task?.lastModified,
    codes,
    documented: {
      diagnoses: clinical(l.conditions).map(display),
      procedures: clinical(l.procedures).map((p) => ({
        ...display(p),
        date: p.performedDateTime?.slice(0, 10),
      })),
    },
    edits,
    overrides: overridesOf(l.task),
    history: l.task ? eventsOf(l.task) : [],
  };
}

export interface SaveResult {
  state: CodingState;
  edits: Edit[];
  codes: { diagnoses: CodedDiagnosis[]; procedures: CodedProcedure[] };
}

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('Expected a JSON object');
  return (body as Record<string, unknown>)[name];
}

/** Writes a bundle of PUTs in one transaction: all of it, or (on any failure) nothing. */
async function writeAll(store: FhirStore, resources: Resource[]): Promise<void> {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id ?? ''}` },
    })),
  };
  await processBundle(store, bundle);
}

async function displayOf(
  db: Db,
  system: CodedProcedure['system'],
  code: string,
  fy?: string,
): Promise<string> {
  const hit =
    (fy ? await lookupCode(db, system, code, fy) : undefined) ?? (await lookupCode(db, system, code));
  return hit?.display ?? code;
}

/**
 * Replaces the coding of an encounter: validates the codes in the encounter's context (a malformed
 * request is refused before anything is written), then writes Conditions, Procedures, the
 * Encounter's billing diagnoses, the Claim and the work item in one transaction. Edits do not block
 * saving (work in progress); they block finalizing.
 */
export async function saveEncounterCoding(
  db: Db,
  store: FhirStore,
  encounterId: string,
  body: unknown,
  now = new Date().toISOString(),
): Promise<SaveResult> {
  const l = await load(store, encounterId);
  const diagnosesIn = field(body, 'diagnoses') ?? [];
  const proceduresIn = field(body, 'procedures') ?? [];
  if (stateOf(l.task) === 'final') {
    throw conflict(`Encounter/${encounterId} is final; its coding can no longer be changed`);
  }
  const parsed = parseCodingRequest(
    codingRequest(l.ctx, { diagnoses: diagnosesIn, procedures: proceduresIn } as AssignedCodes),
  );
  // POA is an inpatient claim field: an outpatient visit keeps none, whatever a client sends.
  const req =
    parsed.setting === 'inpatient'
      ? parsed
      : { ...parsed, diagnoses: parsed.diagnoses.map((d) => ({ ...d, poa: undefined })) };
  const { edits } = await validateCoding(db, req);
  const fy = fiscalYear(req.setting === 'inpatient' ? req.dischargeDate! : req.serviceDate!);
  const diagnoses: CodedDiagnosis[] = [];
  for (const d of req.diagnoses) {
    diagnoses.push({
      code: d.code,
      display: await displayOf(db, 'icd10cm', d.code, fy),
      principal: d.principal === true,
      poa: d.poa,
    });
  }
  const procedures: CodedProcedure[] = [];
  for (const p of req.procedures) {
    const system = procedureSystem(p.code);
    procedures.push({ code: p.code, display: await displayOf(db, system, p.code), system, date: p.date });
  }
  const coder = store.ctx.username;
  const resources = buildCodedRecord({
    ctx: l.ctx,
    encounter: l.encounter,
    diagnoses,
    procedures,
    previousConditions: l.conditions.filter(isCoded),
    previousProcedures: l.procedures.filter(isCoded),
    coder,
    now,
    state: 'coded',
  });
  const task = nextTask(l.task, {
    encounterId,
    patientId: l.ctx.patientId,
    state: 'coded',
    coder,
    now,
    discharge: l.ctx.discharge,
    outputs: resources
      .filter(
        (r) =>
          r.resourceType === 'Claim' ||
          ((r.resourceType === 'Condition' || r.resourceType === 'Procedure') && !isRetired(r)),
      )
      .map((r) => `${r.resourceType}/${r.id ?? ''}`),
  });
  await writeAll(store, [...resources, task]);
  return {
    state: 'coded',
    edits,
    codes: { diagnoses: claimOrder(diagnoses), procedures },
  };
}

function parseOverrides(body: unknown): Override[] {
  if (body === undefined || body === null) return [];
  const raw = field(body, 'overrides') ?? [];
  if (!Array.isArray(raw)) throw badRequest('overrides must be an array', ['overrides']);
  return raw.map((o: unknown, i) => {
    const kind = field(o, 'kind');
    const codes = field(o, 'codes') ?? [];
    const reason = field(o, 'reason') ?? '';
    if (typeof kind !== 'string' || !kind) throw badRequest(`overrides[${i}].kind must name an edit kind`);
    if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string'))
      throw badRequest(`overrides[${i}].codes must be an array of codes`);
    if (typeof reason !== 'string') throw badRequest(`overrides[${i}].reason must be text`);
    return { kind, codes: codes, reason: reason.trim() };
  });
}

const sameCodes = (a: string[], b: string[]): boolean =>
  a.length === b.length &&
  [...a]
    .map((c) => c.toUpperCase())
    .sort()
    .join() ===
    [...b]
      .map((c) => c.toUpperCase())
      .sort()
      .join();

/** The override that clears an edit: same kind, same codes, and a reason. */
export function overrideFor(edit: Edit, overrides: Override[]): Override | undefined {
  return overrides.find((o) => o.kind === edit.kind && sameCodes(o.codes, edit.codes) && o.reason.length > 0);
}

function refusal(open: Edit[]): OutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: open.map((e) => ({
      severity: 'error',
      code: 'business-rule',
      details: { coding: [{ system: 'urn:custodian:coding-edit', code: e.kind }], text: e.codes.join(', ') },
      diagnostics: e.hardStop
        ? `${e.message} This is a hard stop: correct the codes; it cannot be overridden.`
        : `${e.message} Clear it or override it with a reason (kind "${e.kind}", codes [${e.codes.join(', ')}]).`,
    })),
  };
  return new OutcomeError(422, outcome);
}

export interface FinalizeResult {
  state: 'final';
  edits: Edit[];
  overrides: Override[];
}

/** Final once no error edit is open: each must be gone or overridden with a reason (else 422). */
export async function finalizeEncounterCoding(
  db: Db,
  store: FhirStore,
  encounterId: string,
  body: unknown,
  now = new Date().toISOString(),
): Promise<FinalizeResult> {
  const l = await load(store, encounterId);
  const given = parseOverrides(body);
  const state = stateOf(l.task);
  if (state === 'final') throw conflict(`Encounter/${encounterId} is already final`);
  if (state === 'uncoded' || !l.claim)
    throw conflict(`Encounter/${encounterId} has no saved codes to finalize`);
  const codes = savedCodes(l.claim);
  const { edits } = await validateCoding(db, codingRequest(l.ctx, assigned(codes)));
  // Hard stops block whatever is given; other errors need their own override with a reason.
  const open = edits.filter((e) => e.hardStop === true || (e.severity === 'error' && !overrideFor(e, given)));
  if (open.length > 0) throw refusal(open);
  const used = given.filter((o) => edits.some((e) => overrideFor(e, [o])));
  const coder = store.ctx.username;
  const claim: Claim = { ...l.claim, status: 'active' };
  const encounter = withState(l.encounter, 'final');
  const task = nextTask(l.task, {
    encounterId,
    patientId: l.ctx.patientId,
    state: 'final',
    coder,
    now,
    discharge: l.ctx.discharge,
    overrides: used,
  });
  const issues = used.map((o, i) =>
    overrideIssue(o, i, { encounterId, patientId: l.ctx.patientId, coder, now }),
  );
  await writeAll(store, [encounter, claim, task, ...issues]);
  return { state: 'final', edits, overrides: used };
}

/**
 * Reopens a final case (a late document, a denial, an audit finding): back to coded, the Claim back
 * to draft, and the reason in the work item's log. The writes are audited by the store.
 */
export async function reopenEncounterCoding(
  store: FhirStore,
  encounterId: string,
  body: unknown,
  now = new Date().toISOString(),
): Promise<{ state: 'coded' }> {
  // Read first, so that a refused request is in the audit trail too (the store audits its reads).
  const l = await load(store, encounterId);
  const reason = field(body, 'reason');
  if (typeof reason !== 'string' || !reason.trim())
    throw badRequest('reason is required to reopen a final case', ['reason']);
  if (stateOf(l.task) !== 'final' || !l.claim)
    throw conflict(`Encounter/${encounterId} is not final; only a final case is reopened`);
  const task = nextTask(l.task, {
    encounterId,
    patientId: l.ctx.patientId,
    state: 'coded',
    coder: store.ctx.username,
    now,
    discharge: l.ctx.discharge,
    action: 'reopened',
    reason: reason.trim(),
  });
  delete task.executionPeriod?.end;
  await writeAll(store, [withState(l.encounter, 'coded'), { ...l.claim, status: 'draft' }, task]);
  return { state: 'coded' };
}

/**
 * Assigns a case to a coder (`coder` a user name), claims it (`coder` absent: the caller) or
 * releases it (`coder` null). The case keeps its state; an uncoded case gets its work item now.
 */
export async function assignEncounterCoding(
  store: FhirStore,
  encounterId: string,
  body: unknown,
  now = new Date().toISOString(),
): Promise<{ assignee: string | null }> {
  const l = await load(store, encounterId);
  const given = body === undefined || body === null ? undefined : field(body, 'coder');
  if (given !== undefined && given !== null && (typeof given !== 'string' || !/^[\w.@-]{1,64}$/.test(given)))
    throw badRequest('coder must be a user name, or null to release the case', ['coder']);
  const assignee = given === undefined ? store.ctx.username : given;
  const state = stateOf(l.task);
  if (state === 'final') throw conflict(`Encounter/${encounterId} is final; reopen it first`);
  const task = nextTask(l.task, {
    encounterId,
    patientId: l.ctx.patientId,
    state,
    coder: store.ctx.username,
    now,
    discharge: l.ctx.discharge,
    action: 'assigned',
    assignee,
  });
  await writeAll(store, [task]);
  return { assignee };
}
