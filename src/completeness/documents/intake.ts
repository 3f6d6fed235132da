import { createHash, randomUUID } from 'node:crypto';
import type { Binary, DocumentReference } from '@medplum/fhirtypes';
import { badRequest, tooLarge, unsupportedMediaType } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { ACCEPTED_TYPES, documentMime, mislabel } from './file-kind.ts';
import { resolveFiling, type Filing } from './location.ts';

/**
 * Document imaging intake: a scanned or electronic document becomes a Binary (the bytes) and a
 * DocumentReference (what, whose, when, by whom) written in one transaction. A document without
 * a patient waits, tagged unfiled, in the indexing queue.
 */

export const INDEXING_SYSTEM = 'urn:custodian:indexing';
export const UNFILED = {
  system: INDEXING_SYSTEM,
  code: 'unfiled',
  display: 'Waiting to be indexed',
} as const;

export interface Upload {
  content: Buffer;
  filename: string | undefined;
  /** The media type the sender declared for the file part. */
  mimetype?: string | undefined;
  patient?: string | undefined;
  encounter?: string | undefined;
  /** `system|code`. */
  type?: string | undefined;
  date?: string | undefined;
  author?: string | undefined;
  description?: string | undefined;
}

function parseType(value: string | undefined): { system: string; code: string } | undefined {
  if (!value) return undefined;
  const bar = value.indexOf('|');
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (bar <= 0 || !code || code.includes('|')) throw badRequest("type must be 'system|code'", ['type']);
  return { system, code };
}

function parseDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (
    !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ||
    Number.isNaN(Date.parse(value))
  )
    throw badRequest('date must be an ISO date or instant with a time zone', ['date']);
  return value.length === 10 ? `${value}T00:00:00Z` : value;
}

function authorRef(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(?:Practitioner\/)?([A-Za-z0-9\-.]{1,64})$/.exec(value.trim());
  if (!m) throw badRequest('author must be Practitioner/<id>', ['author']);
  return `Practitioner/${m[1]}`;
}

export function documentResource(
  upload: Upload,
  filing: Filing | undefined,
  binary: { id: string; contentType: string; size: number; hash: string },
  now: string,
): DocumentReference {
  const type = parseType(upload.type);
  const author = authorRef(upload.author);
  const title = upload.filename?.slice(0, 200) || upload.description?.slice(0, 200) || 'Scanned document';
  return {
    resourceType: 'DocumentReference',
    ...(filing ? {} : { meta: { tag: [UNFILED] } }),
    status: 'current',
    docStatus: 'final',
    ...(type ? { type: { coding: [type] } } : {}),
    ...(filing ? { subject: { reference: `Patient/${filing.patient}` } } : {}),
    date: parseDate(upload.date) ?? now,
    ...(author ? { author: [{ reference: author }] } : {}),
    ...(upload.description ? { description: upload.description.slice(0, 1000) } : {}),
    content: [
      {
        attachment: {
          contentType: binary.contentType,
          url: `Binary/${binary.id}`,
          size: binary.size,
          hash: binary.hash,
          title,
          creation: now,
        },
      },
    ],
    ...(filing?.encounter
      ? { context: { encounter: [{ reference: `Encounter/${filing.encounter}` }] } }
      : {}),
  };
}

/**
 * Stores an upload. 415 (nothing stored) when the content is not PDF, TIFF, PNG or JPEG; 413 above
 * `maxBytes`. Answers the new DocumentReference's id.
 */
export async function storeDocument(store: FhirStore, upload: Upload, maxBytes: number): Promise<string> {
  if (upload.content.length === 0) throw badRequest('The file is empty', ['file']);
  if (upload.content.length > maxBytes) throw tooLarge(`The file is larger than ${maxBytes} bytes`);
  const contentType = await documentMime(upload.content);
  if (!contentType)
    throw unsupportedMediaType(
      `The file's content is not one of ${ACCEPTED_TYPES.join(', ')} (judged by its bytes, not its name or declared type)`,
    );
  const label = mislabel(contentType, upload);
  if (label)
    throw unsupportedMediaType(
      `The file is ${contentType} by its content but ${label}: refused as mislabelled`,
    );
  store.assertMay('Binary', 'create');
  store.assertMay('DocumentReference', 'create');
  const filing = await resolveFiling(store, upload);
  const now = new Date().toISOString();
  const binaryId = randomUUID();
  const docId = randomUUID();
  const hash = createHash('sha1').update(upload.content).digest('base64');
  const doc = documentResource(
    upload,
    filing,
    { id: binaryId, contentType, size: upload.content.length, hash },
    now,
  );
  const binary: Binary = {
    resourceType: 'Binary',
    id: binaryId,
    contentType,
    securityContext: { reference: `DocumentReference/${docId}` },
    data: upload.content.toString('base64'),
  };
  await store.saveAll([binary, { ...doc, id: docId }]);
  return docId;
}
