import type { Bundle } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { recordDisclosure, today } from '../disclosure/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import { FHIR_BASE, FHIR_JSON, storeFor } from '../fhir/routes.ts';
import { patientSummary } from './summary.ts';
import { summaryPdf } from './summary-pdf.ts';

type Params = { id: string };
type Query = { recipient?: string; purpose?: string; basis?: string };

/** Reading a patient's records: what a summary is (src/shared/policy.ts). */
const access = { config: { access: { resource: 'Patient', action: 'read' as const } } };

/** Whether the caller names a recipient; `purpose` or `basis` without one is a 400, before any read. */
function isRelease(query: Query): boolean {
  if (query.recipient !== undefined && query.recipient.trim() !== '') return true;
  if (query.purpose !== undefined || query.basis !== undefined)
    throw badRequest("A summary's 'purpose' and 'basis' describe its release: name the 'recipient' too", [
      'recipient',
    ]);
  return false;
}

/** The document sent on is a disclosure: recorded when the caller names its recipient. */
async function recordRelease(
  db: Db,
  request: FastifyRequest<{ Params: Params; Querystring: Query }>,
  document: Bundle,
): Promise<void> {
  const { recipient, purpose, basis } = request.query;
  if (!isRelease(request.query) || recipient === undefined) return;
  const sections =
    (document.entry?.[0]?.resource as { section?: Array<{ title?: string; entry?: unknown[] }> }).section ??
    [];
  const contents = sections.map((s) => `${s.entry?.length ?? 0} ${(s.title ?? '').toLowerCase()}`).join(', ');
  await recordDisclosure(
    db,
    storeFor(db, request),
    {
      patient: `Patient/${request.params.id}`,
      date: today(),
      recipient,
      purpose: purpose?.trim() || 'Continuing care after transfer',
      // A summary sent to the next provider is for treatment unless the caller says otherwise.
      basis: basis ?? 'tpo',
      description: `Patient summary document ${document.identifier?.value ?? ''} (${contents})`,
    },
    today(),
  );
}

/**
 * `Patient/[id]/$summary`: the transfer summary as a FHIR document (JSON), and the same as a
 * PDF at `/transfer/patients/[id]/summary.pdf` (outside /fhir/R4, which answers FHIR JSON only).
 * `recipient` (with `purpose`, and `basis`, default `tpo`) records the release as a disclosure.
 */
export function registerTransferRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const { db } = deps;

  const documentFor = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query }>,
  ): Promise<Bundle> => {
    request.auditPatients = [request.params.id];
    isRelease(request.query);
    const document = await patientSummary(storeFor(db, request), request.params.id);
    await recordRelease(db, request, document);
    return document;
  };

  app.get<{ Params: Params; Querystring: Query }>(
    `${FHIR_BASE}/Patient/:id/$summary`,
    access,
    async (request, reply) => reply.type(FHIR_JSON).send(await documentFor(request)),
  );

  app.get<{ Params: Params; Querystring: Query }>(
    '/transfer/patients/:id/summary.pdf',
    access,
    async (request, reply) => {
      const pdf = await summaryPdf(await documentFor(request));
      return reply
        .type('application/pdf')
        .header('Content-Disposition', `inline; filename="patient-summary-${request.params.id}.pdf"`)
        .send(pdf);
    },
  );
}
