import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import { badRequest, unsupportedMediaType } from '../../fhir/outcomes.ts';
import { storeFor } from '../../fhir/routes.ts';
import { FhirStore } from '../../fhir/store.ts';
import { evaluateCharts } from '../chart-evaluation.ts';
import { optionalText, resourceId, wholeNumber } from '../route-input.ts';
import { COMPLETENESS_CONTEXT } from '../watcher.ts';
import { fileDocument, documentContent, indexingQueue, signDocument } from './indexing.ts';
import { storeDocument, type Upload } from './intake.ts';
import { filingOf } from './location.ts';
import { referencedId } from '../../fhir/definitions.ts';

const UPLOAD_FIELDS = ['patient', 'encounter', 'type', 'date', 'author', 'description'] as const;

/** Reads the multipart form: one `file` part and the text fields; anything above the limit is a 413. */
async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (!request.isMultipart())
    throw unsupportedMediaType('Send the document as multipart/form-data with a file part');
  const upload: Partial<Upload> = {};
  let content: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file' || content)
        throw badRequest('Send exactly one file, in the part named file', ['file']);
      content = await part.toBuffer();
      upload.filename = part.filename;
      upload.mimetype = part.mimetype;
    } else if ((UPLOAD_FIELDS as readonly string[]).includes(part.fieldname)) {
      upload[part.fieldname as (typeof UPLOAD_FIELDS)[number]] = optionalText(
        part.value,
        part.fieldname,
        1000,
      );
    }
  }
  if (!content) throw badRequest('The file part is missing', ['file']);
  return { ...upload, content, filename: upload.filename };
}

/** Charts a filing or signature touched are re-evaluated at once (the watcher would within seconds). */
async function reevaluate(db: Db, encounters: ReadonlyArray<string | undefined>): Promise<void> {
  const ids = encounters.filter((e): e is string => !!e);
  if (ids.length > 0) await evaluateCharts(new FhirStore(db, COMPLETENESS_CONTEXT), ids);
}

/** HTTP adapters of document intake: upload, the indexing queue, filing, signing, the viewer's bytes. */
export async function registerDocumentRoutes(
  app: FastifyInstance,
  deps: { db: Db; maxDocumentBytes: number },
): Promise<void> {
  const { db, maxDocumentBytes } = deps;
  await app.register(async (scope) => {
    // Multipart parsing only here; one byte more than the limit is enough to refuse the file.
    await scope.register(multipart, {
      limits: { fileSize: maxDocumentBytes + 1, files: 1, fields: 20, fieldSize: 4096 },
    });
    scope.post(
      '/documents',
      { config: { access: { resource: 'DocumentReference', action: 'create' }, auditedByStore: true } },
      async (request, reply) => {
        const store = storeFor(db, request);
        const id = await store.audited('create', 'DocumentReference/$upload', async () =>
          storeDocument(store, await readUpload(request), maxDocumentBytes),
        );
        return reply
          .code(201)
          .header('location', `/fhir/R4/DocumentReference/${id}`)
          .send({ documentReference: `DocumentReference/${id}` });
      },
    );
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/documents/queue',
    { config: { access: { resource: 'DocumentReference', action: 'search' }, auditedByStore: true } },
    async (request) =>
      indexingQueue(storeFor(db, request), {
        limit: wholeNumber(request.query.limit, 'limit', 50, 1, 500),
        offset: wholeNumber(request.query.offset, 'offset', 0),
      }),
  );

  app.post<{ Params: { id: string } }>(
    '/documents/:id/file',
    { config: { access: { resource: 'DocumentReference', action: 'update' } } },
    async (request) => {
      const id = resourceId(request.params.id, 'id');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const type = optionalText(body.type, 'type');
      const bar = type?.indexOf('|') ?? -1;
      if (type && bar <= 0) throw badRequest("type must be 'system|code'", ['type']);
      const { document, from } = await fileDocument(storeFor(db, request), id, {
        patient: optionalText(body.patient, 'patient') ?? '',
        encounter: optionalText(body.encounter, 'encounter'),
        reason: optionalText(body.reason, 'reason', 1000),
        ...(type ? { type: { system: type.slice(0, bar), code: type.slice(bar + 1) } } : {}),
      });
      const now = filingOf(document);
      request.auditPatients = now.patient ? [now.patient] : [];
      await reevaluate(db, [...from, now.encounter]);
      return document;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/documents/:id/sign',
    { config: { access: { resource: 'DocumentSignature', action: 'update' } } },
    async (request) => {
      const signed = await signDocument(storeFor(db, request), resourceId(request.params.id, 'id'));
      const filed = filingOf(signed);
      request.auditPatients = filed.patient ? [filed.patient] : [];
      await reevaluate(
        db,
        (signed.context?.encounter ?? []).map((e) => referencedId(e, 'Encounter')),
      );
      return signed;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/documents/:id/content',
    { config: { access: { resource: 'DocumentReference', action: 'read' }, auditedByStore: true } },
    async (request, reply) => {
      const content = await documentContent(storeFor(db, request), resourceId(request.params.id, 'id'));
      return reply
        .type(content.contentType)
        .header(
          'content-disposition',
          `inline; filename="${content.title.replace(/[^A-Za-z0-9._ -]/g, '_')}"`,
        )
        .header('cache-control', 'no-store')
        .send(content.data);
    },
  );
}
