import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { assertResourceType, assertValidResource } from './definitions.ts';
import { badRequest, isOutcomeError, notFound, OutcomeError } from './outcomes.ts';
import { newId } from './unchecked-storage.ts';
import { assertId, type FhirStore } from './store.ts';
import { applyPatch, assertSameRecord, type PatchDocument } from './patch.ts';
import { validateResources } from './validation-pool.ts';

/**
 * Batch and transaction bundles. A transaction is all-or-nothing: ids are assigned first,
 * `urn:uuid:` and conditional references (`Practitioner?identifier=...`) are resolved, every
 * resource is validated, and everything is written in one database transaction.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface ParsedEntry {
  index: number;
  method: Method;
  url: string;
  type: string;
  id: string | undefined;
  fullUrl: string | undefined;
  resource: Resource | undefined;
  ifNoneExist: string | undefined;
}

function parseEntry(entry: BundleEntry, index: number): ParsedEntry {
  const method = entry.request?.method;
  const url = entry.request?.url;
  if (!method || !url)
    throw badRequest(`Bundle entry ${index} has no request method and url`, [
      `Bundle.entry[${index}].request`,
    ]);
  // The entry has not been validated as FHIR yet: what is read from it here must be text.
  for (const [name, value] of [
    ['request.url', url],
    ['request.ifNoneExist', entry.request?.ifNoneExist],
    ['fullUrl', entry.fullUrl],
  ] as const)
    if (value !== undefined && typeof value !== 'string')
      throw badRequest(`Bundle entry ${index}: ${name} must be text`, [`Bundle.entry[${index}].${name}`]);
  if (
    method !== 'GET' &&
    method !== 'POST' &&
    method !== 'PUT' &&
    method !== 'PATCH' &&
    method !== 'DELETE'
  ) {
    throw badRequest(`Bundle entry ${index}: method ${method} is not supported in bundles`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(url))
    throw badRequest(
      `Bundle entry ${index}: request.url '${url}' must be relative to this server's FHIR base, such as Patient/123`,
      [`Bundle.entry[${index}].request.url`],
    );
  const path = url.replace(/^\//, '').split('?')[0] ?? '';
  const [type = '', id] = path.split('/');
  assertResourceType(type);
  return {
    index,
    method,
    url,
    type,
    id,
    fullUrl: entry.fullUrl,
    resource: entry.resource,
    ifNoneExist: entry.request?.ifNoneExist,
  };
}

export async function processBundle(store: FhirStore, body: unknown): Promise<Bundle> {
  const bundle = body as Bundle | undefined;
  if (!bundle || bundle.resourceType !== 'Bundle') throw badRequest('Expected a Bundle');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw badRequest(`Bundle.type must be batch or transaction, not '${String(bundle.type)}'`, [
      'Bundle.type',
    ]);
  }
  // The shape of the list is checked here; each entry's request and resource where it is read.
  const list: unknown = bundle.entry ?? [];
  if (!Array.isArray(list)) throw badRequest('Bundle.entry must be a list of entries', ['Bundle.entry']);
  const bad = list.findIndex((e: unknown) => !e || typeof e !== 'object' || Array.isArray(e));
  if (bad >= 0) throw badRequest(`Bundle.entry[${bad}] must be an object`, [`Bundle.entry[${bad}]`]);
  const entries = list as BundleEntry[];
  return bundle.type === 'transaction' ? processTransaction(store, entries) : processBatch(store, entries);
}

async function processBatch(store: FhirStore, entries: BundleEntry[]): Promise<Bundle> {
  // Group commit: a batch of writes is first tried as one transaction (one commit, one audit
  // event). Batch entries are independent, so when all succeed the outcome is the same as one
  // by one; if any fails, the group is rolled back and each entry runs on its own.
  if (entries.length > 1 && entries.every((e) => e.request?.method && e.request.method !== 'GET')) {
    try {
      const grouped = await processTransaction(store, entries);
      return { ...grouped, type: 'batch-response' };
    } catch (err) {
      if (!isOutcomeError(err)) throw err;
    }
  }
  const out: BundleEntry[] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      out.push(await runSingle(store, parseEntry(entry, i)));
    } catch (err) {
      if (!isOutcomeError(err)) throw err;
      out.push({ response: { status: String(err.status), outcome: err.outcome } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}

/**
 * Resolves conditional references (`Patient?identifier=...`) to Type/id through the caller's
 * access filter, each once: a record the caller may not see does not match.
 */
function conditionalReferences(
  store: FhirStore,
  q: Queryable,
): (ref: string, index: number) => Promise<string> {
  const resolved = new Map<string, string>();
  return async (ref, index) => {
    const cached = resolved.get(ref);
    if (cached) return cached;
    const [type = '', criteria = ''] = ref.split('?');
    assertResourceType(type);
    const found = await store.findExisting(q, type, criteria);
    if (!found?.id)
      throw notFound(`Bundle entry ${index}: no ${type} matches the conditional reference '${ref}'`);
    resolved.set(ref, `${type}/${found.id}`);
    return `${type}/${found.id}`;
  };
}

async function runSingle(store: FhirStore, e: ParsedEntry): Promise<BundleEntry> {
  // A batch entry run on its own resolves its conditional references as a transaction does.
  if (e.resource && typeof e.resource === 'object' && (e.method === 'POST' || e.method === 'PUT')) {
    const resolve = conditionalReferences(store, store.db);
    await rewriteReferences(e.resource, new Map(), (ref) => resolve(ref, e.index));
  }
  switch (e.method) {
    case 'GET': {
      const query = e.url.includes('?') ? new URLSearchParams(e.url.split('?')[1]) : undefined;
      if (e.id) {
        const resource = await store.read(e.type, e.id);
        return { resource, response: { status: '200 OK', etag: `W/"${resource.meta?.versionId ?? ''}"` } };
      }
      const resource = await store.search(e.type, query ?? new URLSearchParams(), { lenient: false });
      return { resource, response: { status: '200 OK' } };
    }
    case 'POST': {
      const { resource, created } = await store.create(
        e.resource,
        e.ifNoneExist ? { ifNoneExist: e.ifNoneExist } : {},
      );
      return writeResponse(resource, created);
    }
    case 'PUT': {
      const { resource, created } = e.id
        ? await store.update(e.type, e.id, e.resource)
        : await store.conditionalUpdate(e.type, criteriaOf(e, 'PUT'), e.resource);
      return writeResponse(resource, created);
    }
    case 'PATCH': {
      if (!e.id) throw badRequest(`Bundle entry ${e.index}: PATCH needs Type/id`);
      return writeResponse((await store.patch(e.type, e.id, patchOf(e))).resource, false);
    }
    case 'DELETE': {
      if (e.id) await store.delete(e.type, e.id);
      else await store.conditionalDelete(e.type, criteriaOf(e, 'DELETE'));
      return { response: { status: '204 No Content' } };
    }
  }
}

async function readEntry(store: FhirStore, tx: Queryable, e: ParsedEntry): Promise<BundleEntry> {
  if (e.id) {
    const resource = await store.readInTransaction(tx, e.type, e.id);
    return { resource, response: { status: '200 OK', etag: `W/"${resource.meta?.versionId ?? ''}"` } };
  }
  const query = new URLSearchParams(e.url.split('?')[1] ?? '');
  return { resource: await store.searchInTransaction(tx, e.type, query), response: { status: '200 OK' } };
}

function writeResponse(resource: Resource, created: boolean): BundleEntry {
  return {
    resource,
    response: {
      status: created ? '201 Created' : '200 OK',
      location: `${resource.resourceType}/${resource.id ?? ''}/_history/${resource.meta?.versionId ?? ''}`,
      etag: `W/"${resource.meta?.versionId ?? ''}"`,
      ...(resource.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}),
    },
  };
}

/** FHIR's processing order inside a transaction: deletes, creates, updates, then reads. */
const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3 };

async function processTransaction(store: FhirStore, entries: BundleEntry[]): Promise<Bundle> {
  const parsed = entries.map(parseEntry);
  for (const e of parsed) {
    store.assertMay(
      e.type,
      e.method === 'GET'
        ? 'read'
        : e.method === 'POST'
          ? 'create'
          : e.method === 'PUT' || e.method === 'PATCH'
            ? 'update'
            : 'delete',
    );
    if (e.id) assertId(e.id);
  }
  assertEachOnce(parsed);
  const ordered = [...parsed].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  await assertValidEntries(ordered);
  const responses = new Array<BundleEntry>(parsed.length);
  await store.db.transaction(async (tx) => {
    const refMap = new Map<string, string>();
    const toWrite: Array<{ entry: ParsedEntry; resource: Resource & { id: string } }> = [];
    const deletes: Array<{ type: string; id: string }> = [];
    const changed = new Map<string, number>();
    for (const e of ordered) {
      // A conditional PUT or DELETE (`Patient?identifier=...`) is first resolved to the one
      // record it matches, as the caller sees records (a hidden one never matches).
      const id =
        e.id ??
        (e.method === 'PUT' || e.method === 'DELETE' ? await resolveConditional(store, tx, e) : undefined);
      if (id && e.method !== 'GET' && e.method !== 'POST') assertChangedOnce(changed, e, `${e.type}/${id}`);
      if (e.method === 'DELETE') {
        if (!id) throw notFound(`Bundle entry ${e.index}: no ${e.type} matches '${criteriaOf(e, 'DELETE')}'`);
        deletes.push({ type: e.type, id });
        responses[e.index] = { response: { status: '204 No Content' } };
      } else if (e.method === 'POST') {
        if (e.ifNoneExist) {
          const existing = await store.showExisting(tx, e.type, e.ifNoneExist);
          if (existing?.id) {
            if (e.fullUrl) refMap.set(e.fullUrl, `${e.type}/${existing.id}`);
            responses[e.index] = writeResponse(existing, false);
            continue;
          }
        }
        const id = newId();
        if (e.fullUrl) refMap.set(e.fullUrl, `${e.type}/${id}`);
        toWrite.push({ entry: e, resource: { ...requireResource(e), id } });
      } else if (e.method === 'PUT') {
        const resource = requireResource(e);
        const target = id ?? resource.id ?? newId();
        // Type/id names the record, and the body must say the same; criteria may leave it out.
        if (e.id ? resource.id !== e.id : resource.id !== undefined && resource.id !== target)
          throw badRequest(`Bundle entry ${e.index}: resource id does not match ${e.url}`);
        if (e.fullUrl) refMap.set(e.fullUrl, `${e.type}/${target}`);
        toWrite.push({ entry: e, resource: { ...resource, id: target } });
      } else if (e.method === 'PATCH') {
        if (!id) throw badRequest(`Bundle entry ${e.index}: PATCH needs Type/id`);
        // Applied to the current version, locked in this transaction, then checked as a PUT is.
        const patched = applyPatch(await store.readForUpdate(tx, e.type, id), patchOf(e));
        assertSameRecord(e.type, id, patched);
        try {
          assertValidResource(patched);
        } catch (err) {
          throw withEntry(err, e.index);
        }
        toWrite.push({ entry: e, resource: patched as Resource & { id: string } });
      }
    }
    const resolve = conditionalReferences(store, tx);
    for (const w of toWrite)
      await rewriteReferences(w.resource, refMap, (ref) => resolve(ref, w.entry.index));
    const created = await store.writeInTransaction(
      tx,
      toWrite.map((w) => w.resource),
      deletes,
    );
    for (const w of toWrite) {
      responses[w.entry.index] = writeResponse(
        w.resource,
        created.get(`${w.resource.resourceType}/${w.resource.id}`) ?? true,
      );
    }
    // Reads come last (FHIR's order) and inside the transaction: a failed read fails it all.
    for (const e of ordered.filter((p) => p.method === 'GET'))
      responses[e.index] = await readEntry(store, tx, e);
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
}

/**
 * A PATCH entry's patch: a Binary holding a JSON Patch (application/json-patch+json, base64 as
 * a Binary's data is), or a Parameters resource holding a FHIRPath Patch.
 */
function patchOf(e: ParsedEntry): PatchDocument {
  const resource = e.resource;
  if (resource?.resourceType === 'Parameters') return { format: 'fhirpath-patch', body: resource };
  if (
    resource?.resourceType === 'Binary' &&
    typeof resource.contentType === 'string' &&
    resource.contentType.split(';')[0]?.trim() === 'application/json-patch+json' &&
    typeof resource.data === 'string'
  ) {
    try {
      return {
        format: 'json-patch',
        body: JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8')),
      };
    } catch {
      throw badRequest(`Bundle entry ${e.index}: the Binary's data is not a JSON Patch`);
    }
  }
  throw badRequest(
    `Bundle entry ${e.index}: a PATCH entry carries a Binary (application/json-patch+json) or a Parameters resource`,
  );
}

/** The search criteria of a conditional PUT or DELETE entry (`Patient?identifier=...`). */
function criteriaOf(e: ParsedEntry, method: 'PUT' | 'DELETE'): string {
  const criteria = e.url.split('?')[1] ?? '';
  if (!criteria) throw badRequest(`Bundle entry ${e.index}: ${method} needs Type/id or Type?criteria`);
  return criteria;
}

/**
 * The id a conditional PUT or DELETE entry of a transaction changes: the one record the caller
 * may see that matches (412 for several), or undefined when none does. A PUT that matches none
 * creates, which the role must be allowed.
 */
async function resolveConditional(
  store: FhirStore,
  tx: Queryable,
  e: ParsedEntry,
): Promise<string | undefined> {
  const found = await store.findExisting(tx, e.type, criteriaOf(e, e.method === 'PUT' ? 'PUT' : 'DELETE'));
  if (!found?.id && e.method === 'PUT') store.assertMay(e.type, 'create');
  return found?.id;
}

/** Once resolved, a conditional entry may not change a record another entry changes too. */
function assertChangedOnce(changed: Map<string, number>, e: ParsedEntry, key: string): void {
  const first = changed.get(key);
  if (first !== undefined)
    throw badRequest(
      `Bundle entries ${first} and ${e.index} both change ${key}: a transaction changes a resource once`,
    );
  changed.set(key, e.index);
}

/**
 * A transaction changes each resource at most once and names each entry once (FHIR R4 3.1.0.11.2):
 * two writes to one resource have no defined outcome, and a repeated fullUrl makes references
 * to it ambiguous.
 */
function assertEachOnce(entries: ParsedEntry[]): void {
  const written = new Map<string, number>();
  const named = new Map<string, number>();
  for (const e of entries) {
    if (e.fullUrl) {
      const first = named.get(e.fullUrl);
      if (first !== undefined)
        throw badRequest(`Bundle entries ${first} and ${e.index} have the same fullUrl '${e.fullUrl}'`);
      named.set(e.fullUrl, e.index);
    }
    if ((e.method === 'PUT' || e.method === 'PATCH' || e.method === 'DELETE') && e.id) {
      const key = `${e.type}/${e.id}`;
      const first = written.get(key);
      if (first !== undefined)
        throw badRequest(
          `Bundle entries ${first} and ${e.index} both change ${key}: a transaction changes a resource once`,
        );
      written.set(key, e.index);
    }
  }
}

/**
 * Every resource of the bundle is validated before the database is touched, on the validation
 * workers, so a large bundle is checked while the database writes another. References are not
 * yet rewritten, which changes nothing: any reference text is valid.
 */
async function assertValidEntries(ordered: ParsedEntry[]): Promise<void> {
  const writes = ordered.filter((e) => e.method === 'POST' || e.method === 'PUT');
  const results = await validateResources(writes.map(requireResource));
  const failed = results.findIndex((r) => r !== undefined);
  const entry = writes[failed];
  if (entry) throw withEntry(results[failed], entry.index);
}

function requireResource(e: ParsedEntry): Resource {
  if (!e.resource || typeof e.resource !== 'object')
    throw badRequest(`Bundle entry ${e.index} has no resource`);
  if (e.resource.resourceType !== e.type) {
    throw badRequest(
      `Bundle entry ${e.index}: resource type ${String(e.resource.resourceType)} does not match ${e.url}`,
    );
  }
  return e.resource;
}

function withEntry(err: unknown, index: number): unknown {
  if (!isOutcomeError(err)) return err;
  const outcome: OperationOutcome = {
    ...err.outcome,
    issue: (err.outcome.issue ?? []).map((i) => ({
      ...i,
      diagnostics: `Bundle entry ${index}: ${i.diagnostics ?? i.details?.text ?? ''}`,
    })),
  };
  return new OutcomeError(err.status, outcome);
}

/**
 * Replaces every `reference` that names a bundle entry or a conditional search with Type/id.
 * The resource is walked twice without awaiting (a walk that awaited at every node cost an import
 * more than the lookups): once to find the conditional references, which are then resolved, and
 * once to replace.
 */
async function rewriteReferences(
  resource: unknown,
  refMap: Map<string, string>,
  resolveConditional: (ref: string) => Promise<string>,
): Promise<void> {
  const conditional = new Set<string>();
  visitReferences(resource, (ref) => {
    if (refMap.has(ref)) return;
    if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:'))
      throw badRequest(`Reference '${ref}' names no entry of this transaction`);
    if (CONDITIONAL_REFERENCE.test(ref)) conditional.add(ref);
  });
  if (refMap.size === 0 && conditional.size === 0) return;
  const resolved = new Map<string, string>();
  for (const ref of conditional) resolved.set(ref, await resolveConditional(ref));
  visitReferences(resource, (ref) => refMap.get(ref) ?? resolved.get(ref));
}

const CONDITIONAL_REFERENCE = /^[A-Z][A-Za-z]+\?/;

/** Calls `visit` with every `reference` text in a resource; a text it answers replaces the reference. */
function visitReferences(node: unknown, visit: (ref: string) => string | undefined | void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitReferences(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  for (const key in obj) {
    const value = obj[key];
    if (key === 'reference' && typeof value === 'string') {
      const replacement = visit(value);
      if (typeof replacement === 'string') obj[key] = replacement;
    } else if (typeof value === 'object') visitReferences(value, visit);
  }
}
