import type { Binary, DocumentReference, Practitioner } from '@medplum/fhirtypes';
import { appendAudit } from '../../fhir/audit-trail.ts';
import { badRequest, conflict, forbidden, notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { UNFILED } from './intake.ts';
import { describeFiling, filingOf, resolveFiling } from './location.ts';

/**
 * The indexing queue (unfiled uploads), filing and re-filing a document to a patient and
 * encounter (audited, the old location kept in the record's history), signing by the author,
 * and the document's bytes for the viewer.
 */

type Doc = DocumentReference & { id: string };

export interface QueuedDocument {
  id: string;
  title: string;
  contentType: string | undefined;
  size: number | undefined;
  date: string | undefined;
  type: string | undefined;
  lastUpdated: string | undefined;
}

const unfiledCriterion = { param: '_tag', tokens: [{ system: UNFILED.system, code: UNFILED.code }] };

export async function indexingQueue(
  store: FhirStore,
  page: { limit: number; offset: number },
): Promise<{ total: number; documents: QueuedDocument[] }> {
  const found = await store.findAll(
    { type: 'DocumentReference', where: [unfiledCriterion], sort: [{ param: '_lastUpdated' }] },
    5000,
  );
  const docs = found.matches as Doc[];
  return {
    total: docs.length,
    documents: docs.slice(page.offset, page.offset + page.limit).map((d) => ({
      id: d.id,
      title: d.content[0]?.attachment.title ?? d.description ?? 'Document',
      contentType: d.content[0]?.attachment.contentType,
      size: d.content[0]?.attachment.size,
      date: d.date,
      type: d.type?.coding?.[0]?.code,
      lastUpdated: d.meta?.lastUpdated,
    })),
  };
}

export interface FilingRequest {
  patient: string;
  encounter?: string | undefined;
  type?: { system: string; code: string; display?: string } | undefined;
  reason?: string | undefined;
}

/**
 * Files a document (from the queue) or re-files it to another patient or encounter. One
 * transaction: the new version (the store keeps the old one in its history) and an audit entry
 * naming both locations and both patients.
 */
export async function fileDocument(
  store: FhirStore,
  id: string,
  request: FilingRequest,
): Promise<{ document: Doc; from: string[] }> {
  store.assertMay('DocumentReference', 'update');
  const current = (await store.read('DocumentReference', id)) as Doc;
  const before = filingOf(current);
  const target = await resolveFiling(store, { patient: request.patient, encounter: request.encounter });
  if (!target) throw badRequest('patient is required', ['patient']);
  const refile = !!before.patient;
  if (refile && !request.reason?.trim())
    throw badRequest('Re-filing a filed document needs a reason', ['reason']);
  return store.db.transaction(async (tx) => {
    const locked = (await store.readForUpdate(tx, 'DocumentReference', id)) as Doc;
    if (locked.meta?.versionId !== current.meta?.versionId)
      throw conflict(`DocumentReference/${id} changed meanwhile; reload it`);
    const tags = (locked.meta?.tag ?? []).filter(
      (t) => !(t.system === UNFILED.system && t.code === UNFILED.code),
    );
    const { context: _context, ...rest } = locked;
    const next: Doc = {
      ...rest,
      meta: { ...locked.meta, tag: tags },
      subject: { reference: `Patient/${target.patient}` },
      ...(request.type ? { type: { coding: [request.type] } } : {}),
      ...(target.encounter || locked.context?.period
        ? {
            context: {
              ...(locked.context?.period ? { period: locked.context.period } : {}),
              ...(target.encounter ? { encounter: [{ reference: `Encounter/${target.encounter}` }] } : {}),
            },
          }
        : {}),
    };
    if (tags.length === 0 && next.meta) delete next.meta.tag;
    await store.writeInTransaction(tx, [next], []);
    const to = { patient: target.patient, ...(target.encounter ? { encounter: target.encounter } : {}) };
    await appendAudit(tx, [
      store.auditEntry('update', 'success', {
        patientIds: [...new Set([before.patient, target.patient].filter((p): p is string => !!p))],
        entities: [`DocumentReference/${id}`],
        query: `DocumentReference/${id}/$file`,
        detail: refile
          ? `re-filed from ${describeFiling(before)} to ${describeFiling(to)}: ${request.reason?.trim() ?? ''}`
          : `filed from the indexing queue to ${describeFiling(to)}`,
      }),
    ]);
    return { document: next, from: before.encounter ? [before.encounter] : [] };
  });
}

/** The Practitioner a signed-in user is: the one carrying identifier urn:custodian:user|<username>. */
export async function practitionerOf(store: FhirStore): Promise<(Practitioner & { id: string }) | undefined> {
  const found = await store.findByIdentifier('Practitioner', {
    system: 'urn:custodian:user',
    value: store.ctx.username,
  });
  return found[0] as (Practitioner & { id: string }) | undefined;
}

/** The author signs: authenticator set, a preliminary note becomes final. Only an author may sign. */
export async function signDocument(store: FhirStore, id: string): Promise<Doc> {
  store.assertMay('DocumentReference', 'update');
  const me = await practitionerOf(store);
  if (!me)
    throw forbidden(
      `User ${store.ctx.username} is not linked to a Practitioner (identifier urn:custodian:user|${store.ctx.username})`,
    );
  return store.db.transaction(async (tx) => {
    const doc = (await store.readForUpdate(tx, 'DocumentReference', id)) as Doc;
    const authors = (doc.author ?? []).map((a) => a.reference);
    if (!authors.includes(`Practitioner/${me.id}`))
      throw forbidden('Only an author of the document may sign it');
    if (doc.authenticator) throw conflict(`DocumentReference/${id} is already signed`);
    const signed: Doc = {
      ...doc,
      authenticator: { reference: `Practitioner/${me.id}` },
      docStatus: doc.docStatus === 'preliminary' || !doc.docStatus ? 'final' : doc.docStatus,
    };
    await store.writeInTransaction(tx, [signed], []);
    return signed;
  });
}

/** The bytes of a document's first attachment, read through the caller's store (audited). */
export async function documentContent(
  store: FhirStore,
  id: string,
): Promise<{ contentType: string; data: Buffer; title: string }> {
  const doc = (await store.read('DocumentReference', id)) as Doc;
  const attachment = doc.content[0]?.attachment;
  if (attachment?.data)
    return {
      contentType: attachment.contentType ?? 'application/octet-stream',
      data: Buffer.from(attachment.data, 'base64'),
      title: attachment.title ?? id,
    };
  const binaryId = /^Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(attachment?.url ?? '')?.[1];
  if (!binaryId) throw notFound(`DocumentReference/${id} has no stored content`);
  const binary = (await store.read('Binary', binaryId)) as Binary;
  return {
    contentType: binary.contentType,
    data: Buffer.from(binary.data ?? '', 'base64'),
    title: attachment?.title ?? id,
  };
}
