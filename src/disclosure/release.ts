import { createHash } from 'node:crypto';
import type { Bundle, Consent, OperationOutcome, Patient, Resource, Task } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.ts';
import { appendAudit } from '../fhir/audit-trail.ts';
import { conflict, OutcomeError } from '../fhir/outcomes.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import {
  authorizationRequired,
  checkAuthorization,
  ELEMENT_LABELS,
  type AuthorizationCheck,
} from './authorization.ts';
import { basisOf, encodeDisclosure, purposeOfUse, type DisclosureRecord } from './disclosure-record.ts';
import { DEFAULT_FEES, feeFor, type Fee, type FeeRules } from './fees.ts';
import { renderPacket, type PacketContent } from './packet-pdf.ts';
import { statementsFor, type DisagreementStatement } from './amendment-statements.ts';
import { recordText, TYPE_HEADINGS, type RecordText } from './record-text.ts';
import { patientSummary, requestForRelease, type WorkflowOptions } from './requests.ts';
import { taskOf, type RequestRecord } from './request-task.ts';
import {
  authorizationScope,
  authorizedBy,
  inScope,
  isNarrowed,
  minimumNecessaryApplies,
  RELEASABLE_TYPES,
} from './selection.ts';
import { specialCategoriesOf, withholdingReason } from './sensitivity.ts';
import { OPEN_STATUSES, OUTPUT_SYSTEM, ROI_TASK_CODE, STATUS_SYSTEM, TASK_SYSTEM } from './terms.ts';

/**
 * Fulfilment: the records a request may carry (minimum necessary, the authorization's scope,
 * the sensitive-record rules), the packet (PDF and FHIR Bundle), and the release itself: the
 * Task marked released, the packet kept, and the disclosure recorded as an AuditEvent, all in
 * one transaction.
 */

export interface ReleaseOptions extends WorkflowOptions {
  fees?: FeeRules;
}

export interface Blocker {
  code: string;
  message: string;
}

export interface ReleasePlan {
  record: RequestRecord;
  patient: Patient;
  consent?: Consent;
  check?: AuthorizationCheck;
  underAuthorization: boolean;
  blockers: Blocker[];
  records: Resource[];
  withheld: Array<{ reference: string; reason: string }>;
  /** Statements of disagreement (with denial and rebuttal) about released records: they go too. */
  statements: DisagreementStatement[];
}

/** What the release screen previews: the records, those withheld and why, the fee. */
export interface ReleasePreview {
  requestId: string;
  patientId: string;
  releasable: boolean;
  blockers: Blocker[];
  records: Array<Omit<RecordText, 'lines'>>;
  withheld: Array<{ reference: string; reason: string }>;
  pages: number;
  fee: Fee;
}

/**
 * The chart is read for a release under the module's own context (the caller's name, the
 * system's sight): records labelled sensitive are then judged by the law (sensitivity.ts), not
 * hidden by the caller's everyday access, and the read is audited under the caller's name.
 */
export function releaseContext(ctx: RequestContext): RequestContext {
  return { ...ctx, role: 'system', username: `${ctx.username} (release of information)` };
}

async function chartRecords(db: Db, ctx: RequestContext, patientId: string): Promise<Resource[]> {
  const chart = await new FhirStore(db, releaseContext(ctx)).everything(patientId);
  const types: readonly string[] = RELEASABLE_TYPES;
  const order = (r: Resource): number => types.indexOf(r.resourceType);
  return (chart.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is Resource => !!r && types.includes(r.resourceType))
    .sort(
      (a, b) => order(a) - order(b) || (recordText(a).date ?? '').localeCompare(recordText(b).date ?? ''),
    );
}

export async function planRelease(db: Db, store: FhirStore, id: string, asOf: string): Promise<ReleasePlan> {
  const { record, consent, patient } = await requestForRelease(store, id);
  const blockers: Blocker[] = [];
  if (!OPEN_STATUSES.has(record.status))
    blockers.push({ code: 'not-open', message: `The request is ${record.status}` });
  const check = consent ? checkAuthorization(consent, record.patientId, asOf) : undefined;
  const required = authorizationRequired(record.requesterType, record.purpose);
  if (required && !check)
    blockers.push({
      code: 'authorization-missing',
      message: 'A signed HIPAA authorization is needed for this request',
    });
  if (required && check) {
    for (const element of check.missing)
      blockers.push({
        code: `authorization-missing-${element}`,
        message: `The authorization lacks: ${ELEMENT_LABELS[element]}`,
      });
    for (const problem of check.problems)
      blockers.push({ code: `authorization-${problem.code}`, message: problem.message });
  }
  const underAuthorization = !!check?.valid;
  // A request that needs an authorization is bound by its scope once one is valid; until then the
  // authorization's own blockers say what is missing.
  if (
    !required &&
    minimumNecessaryApplies(record.requesterType, record.purpose, underAuthorization) &&
    !isNarrowed(record.scope)
  )
    blockers.push({
      code: 'minimum-necessary',
      message: 'Minimum necessary: select the dates, record types or visits this purpose needs',
    });
  const all = await chartRecords(db, store.ctx, record.patientId);
  const authScope = underAuthorization && consent ? authorizationScope(consent) : undefined;
  const records: Resource[] = [];
  const withheld: ReleasePlan['withheld'] = [];
  for (const resource of all) {
    if (!inScope(resource, record.scope)) continue;
    if (authScope && !authorizedBy(resource, authScope)) continue;
    const reason = withholdingReason(
      resource,
      record.requesterType,
      underAuthorization ? (check?.namedLabels ?? []) : [],
    );
    if (reason) withheld.push({ reference: `${resource.resourceType}/${resource.id ?? ''}`, reason });
    else records.push(resource);
  }
  const statements = await statementsFor(
    store,
    record.patientId,
    new Set(records.map((r) => `${r.resourceType}/${r.id ?? ''}`)),
  );
  // No matching record is still an answer: the packet's letter says none was found.
  return {
    record,
    patient,
    ...(consent ? { consent } : {}),
    ...(check ? { check } : {}),
    underAuthorization,
    blockers,
    records,
    withheld,
    statements,
  };
}

/** The packet's PDF, rendered twice when needed: the fee on the cover letter depends on the page count. */
async function packetPdf(
  plan: ReleasePlan,
  texts: RecordText[],
  options: ReleaseOptions,
  draft: boolean,
): Promise<{ pdf: Buffer; pages: number; fee: Fee }> {
  const content = (fee: Fee): PacketContent => ({
    request: plan.record,
    patient: patientSummary(plan.patient),
    records: texts,
    withheld: plan.withheld,
    statements: plan.statements,
    fee,
    part2: plan.records.some((r) => specialCategoriesOf(r).includes('part2')),
    date: options.asOf,
    draft,
  });
  const fees = options.fees ?? DEFAULT_FEES;
  const first = await renderPacket(content(feeFor(plan.record.requesterType, 0, fees)));
  const fee = feeFor(plan.record.requesterType, first.pages, fees);
  const final = await renderPacket(content(fee));
  return { ...final, fee };
}

function packetBundle(plan: ReleasePlan, at: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    identifier: { system: 'urn:custodian:roi-request', value: plan.record.id },
    timestamp: at,
    entry: [plan.patient, ...plan.records].map((resource) => ({
      fullUrl: `${resource.resourceType}/${resource.id ?? ''}`,
      resource,
    })),
  };
}

export async function previewRelease(
  db: Db,
  store: FhirStore,
  id: string,
  options: ReleaseOptions,
): Promise<ReleasePreview> {
  const plan = await planRelease(db, store, id, options.asOf);
  const texts = plan.records.map(recordText);
  const { pages, fee } = await packetPdf(plan, texts, options, true);
  return {
    requestId: id,
    patientId: plan.record.patientId,
    releasable: plan.blockers.length === 0,
    blockers: plan.blockers,
    records: texts.map(({ lines: _lines, ...rest }) => rest),
    withheld: plan.withheld,
    pages,
    fee,
  };
}

function refused(blockers: Blocker[]): OutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: blockers.map((b) => ({
      severity: 'error',
      code: 'business-rule',
      diagnostics: b.message,
      details: { coding: [{ system: 'urn:custodian:roi-block', code: b.code }], text: b.message },
    })),
  };
  return new OutcomeError(409, outcome);
}

function description(records: Resource[], record: RequestRecord): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.resourceType, (counts.get(r.resourceType) ?? 0) + 1);
  const kinds = [...counts]
    .map(([type, n]) => `${n} ${(TYPE_HEADINGS[type] ?? type).toLowerCase()}`)
    .join(', ');
  const dates =
    record.scope.from || record.scope.to
      ? `, dates ${record.scope.from ?? 'any'} to ${record.scope.to ?? 'any'}`
      : '';
  return `${kinds}${dates}`;
}

export interface ReleaseResult {
  requestId: string;
  patientId: string;
  status: 'released';
  releasedAt: string;
  pages: number;
  records: number;
  withheld: Array<{ reference: string; reason: string }>;
  fee: Fee;
}

/** Releases the request: 409 with every reason while it may not go out yet. */
export async function releaseRequest(
  db: Db,
  store: FhirStore,
  id: string,
  options: ReleaseOptions,
): Promise<ReleaseResult> {
  store.assertMay('Task', 'update');
  const plan = await planRelease(db, store, id, options.asOf);
  if (plan.blockers.length > 0) throw refused(plan.blockers);
  const texts = plan.records.map(recordText);
  const { pdf, pages, fee } = await packetPdf(plan, texts, options, false);
  const at = new Date().toISOString();
  const bundle = packetBundle(plan, at);
  const released: RequestRecord = {
    ...plan.record,
    status: 'released',
    released: { at, pages, records: plan.records.length, withheld: plan.withheld.length, fee },
  };
  const basis = basisOf(plan.record.requesterType, plan.record.purpose, plan.underAuthorization);
  const disclosure: DisclosureRecord = {
    date: at.slice(0, 10),
    recipient: plan.record.recipient,
    purpose: plan.record.purpose,
    description: description(plan.records, plan.record),
    basis,
    requesterType: plan.record.requesterType,
    requestId: id,
  };
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  await db.transaction(async (tx) => {
    // Locked, and unchanged since the plan was made: a request is released once.
    const current = await store.readForUpdate(tx, 'Task', id);
    if (current.meta?.versionId !== plan.record.versionId)
      throw conflict('The request changed while its packet was built; review it and release again');
    await store.writeInTransaction(tx, [taskOf(released)], []);
    await tx.query(
      `INSERT INTO disclosure_packet (patient_id, request_id, released_at, pdf, bundle, sha256)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
      [plan.record.patientId, id, at, pdf, JSON.stringify(bundle), sha256],
    );
    await appendAudit(tx, [
      store.auditEntry('disclose', 'success', {
        purpose: purposeOfUse(basis, plan.record.purpose, store.ctx.purpose),
        patientIds: [plan.record.patientId],
        entities: [
          `Task/${id}`,
          ...(plan.consent?.id ? [`Consent/${plan.consent.id}`] : []),
          ...plan.records.map((r) => `${r.resourceType}/${r.id ?? ''}`),
        ],
        query: `release of information ${id} to ${plan.record.recipient}`,
        detail: encodeDisclosure(disclosure),
      }),
    ]);
  });
  return {
    requestId: id,
    patientId: plan.record.patientId,
    status: 'released',
    releasedAt: at,
    pages,
    records: plan.records.length,
    withheld: plan.withheld,
    fee,
  };
}

/** The packet as released (kept byte for byte), or a draft of it while the request is open. */
export async function packetOf(
  db: Db,
  store: FhirStore,
  id: string,
  options: ReleaseOptions,
): Promise<{ pdf: Buffer; bundle: Bundle; draft: boolean; patientId: string }> {
  const { record } = await requestForRelease(store, id);
  const kept = await db.query<{ pdf: Uint8Array | null; bundle: Bundle | string }>(
    'SELECT pdf, bundle FROM disclosure_packet WHERE patient_id = $1 AND request_id = $2',
    [record.patientId, id],
  );
  const row = kept.rows[0];
  if (row?.pdf) {
    const bundle = typeof row.bundle === 'string' ? (JSON.parse(row.bundle) as Bundle) : row.bundle;
    return { pdf: Buffer.from(row.pdf), bundle, draft: false, patientId: record.patientId };
  }
  const plan = await planRelease(db, store, id, options.asOf);
  const { pdf } = await packetPdf(plan, plan.records.map(recordText), options, true);
  return {
    pdf,
    bundle: packetBundle(plan, new Date().toISOString()),
    draft: true,
    patientId: record.patientId,
  };
}

/**
 * Certified destruction of a chart (src/retention) reaches the copies released from it: each
 * kept packet's PDF and Bundle are removed in the caller's transaction; the row keeps when it was
 * released and the packet's SHA-256, so the accounting of disclosures still answers what was sent
 * and a copy produced later can be matched to it. Answers how many packets were destroyed.
 */
export async function destroyReleasedPackets(tx: Queryable, patientId: string): Promise<number> {
  const res = await tx.query<{ request_id: string }>(
    `UPDATE disclosure_packet SET pdf = NULL, bundle = NULL
      WHERE patient_id = $1 AND (pdf IS NOT NULL OR bundle IS NOT NULL) RETURNING request_id`,
    [patientId],
  );
  return res.rows.length;
}

/**
 * Requests released before the release time was also kept in Task.executionPeriod.end (issue #19)
 * lack it, and the turnaround report, which counts from that index, would leave them out. At
 * start, each released (or closed after release) request without it gets it from its
 * `released-at` output, through the store: a new version of the Task, audited; nothing else
 * changes (not lastModified, which the volume report counts by). Run again it finds none.
 * Returns how many requests were brought up to date.
 */
export async function backfillReleaseTimes(store: FhirStore): Promise<number> {
  let done = 0;
  for (;;) {
    const { matches } = await store.findAll({
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: ROI_TASK_CODE }] },
        {
          param: 'business-status',
          tokens: [
            { system: STATUS_SYSTEM, code: 'released' },
            { system: STATUS_SYSTEM, code: 'closed' },
          ],
        },
        { param: 'period', missing: true },
      ],
    });
    const updated = (matches as Task[]).flatMap((task): Task[] => {
      const at = task.output?.find((o) =>
        o.type.coding?.some((c) => c.system === OUTPUT_SYSTEM && c.code === 'released-at'),
      )?.valueDateTime;
      return at ? [{ ...task, executionPeriod: { ...task.executionPeriod, end: at } }] : [];
    });
    // A closed request never released has no release time: nothing to add, and it stays matched.
    if (updated.length === 0) return done;
    for (let i = 0; i < updated.length; i += 500) await store.saveAll(updated.slice(i, i + 500));
    done += updated.length;
  }
}
