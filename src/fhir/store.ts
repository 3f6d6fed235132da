import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from './request-context.ts';
import type { Action } from '../shared/index.ts';
import { appendAudit, flushAudit, queueAudit, recordAudit } from './audit-trail.ts';
import type { AuditAction, AuditEntry } from './audit-event.ts';
import type { Db, Queryable } from '../db/index.ts';
import { accessOf, seesEverything } from './access-filter.ts';
import { chartRecords, compartmentKeys, lockCompartment } from './compartment.ts';
import { chartLinks, chartPage, parseEverything } from './everything.ts';
import { assertAllowed, assertVisible, BreakGlassRequired, mayDo } from './access-check.ts';
import { assertResourceType, assertValidResource, patientOf } from './definitions.ts';
import {
  badRequest,
  forbidden,
  gone,
  isOutcomeError,
  methodNotAllowed,
  notFound,
  preconditionFailed,
} from './outcomes.ts';
import {
  lockCurrentVersions,
  newId,
  readCurrent,
  readCurrentJson,
  readVersion,
  changedRecords,
  visibleIdsOf,
  type ChangedRecord,
  unchangedResources,
  writeVersions,
  type CurrentRow,
  type VersionWrite,
} from './unchecked-storage.ts';
import { countSearch, parseSearch, searchBundle, type SearchRequest } from './search/index.ts';
import { loadIncludes } from './search/include.ts';
import { searchPage } from './search/search.ts';
import { broadCount, broadPage } from './search/broad.ts';
import { describeSpec, typedSearchRequest, type Criterion, type SearchSpec } from './search/typed.ts';
import { noteWrites } from './statistics.ts';
import { historyPage, parseHistory } from './history.ts';
import { applyPatch, assertSameRecord, type PatchDocument } from './patch.ts';
import { destroyCompartment, type DestroyedRecord } from './destruction.ts';
import { checkRemoval } from './removal-guards.ts';

/** What a typed search found: matches, included records, and whether every page was read. */
export interface Found {
  matches: Resource[];
  included: Resource[];
  complete: boolean;
  /** Every match's count, when a broad search asked for the page (same pass as the page). */
  total?: number;
}

/**
 * How a typed search runs. `broad`: it matches much of its type (a worklist over every discharge
 * not yet final), so each criterion and sort key reads its index slice once, joined by hash, the
 * page is paged by offset and comes with its total (search/broad.ts). Same matches, same order.
 */
export interface SearchPlan {
  broad?: boolean;
}

export type { ChangedRecord };

export interface WriteResult {
  resource: Resource;
  created: boolean;
}

/** Resource types nobody writes through the API: the audit trail is written by the store itself. */
const READ_ONLY_TYPES = new Set(['AuditEvent']);

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw badRequest(`Invalid resource id '${id}'`);
}

/** Parses an If-Match value such as W/"3" into a version number. */
export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  if (!m?.[1]) throw badRequest(`Malformed If-Match header '${value}'`);
  return Number(m[1]);
}

/**
 * The record store as one user sees it: every public method checks the caller's role and the
 * record's confidentiality, does its work, and writes an AuditEvent (in the same transaction
 * for changes). Routes, the CLI, HL7 intake and modules all go through here.
 */
export class FhirStore {
  constructor(
    readonly db: Db,
    readonly ctx: RequestContext,
    readonly baseUrl = '',
  ) {}

  private entry(
    action: AuditAction,
    outcome: AuditEntry['outcome'],
    extra: Partial<AuditEntry> = {},
  ): AuditEntry {
    return {
      action,
      outcome,
      username: this.ctx.username,
      userId: this.ctx.userId,
      role: this.ctx.role,
      purpose: this.ctx.purpose,
      sourceAddress: this.ctx.sourceAddress,
      ...extra,
    };
  }

  /** Runs a public operation: audits refusals and failures, which never reach their own audit. */
  async audited<T>(action: AuditAction, query: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const status = isOutcomeError(err) ? err.status : 500;
      const outcome = status === 401 || status === 403 ? 'denied' : 'failure';
      // A refused look at a restricted chart names the patient, so the access report shows it.
      const patient =
        err instanceof BreakGlassRequired ? err.patientId : /^Patient\/([^/?]+)/.exec(query)?.[1];
      await recordAudit(this.db, [
        this.entry(action, outcome, {
          query,
          patientIds: ids(patient),
          detail: err instanceof Error ? err.message : String(err),
        }),
      ]);
      throw err;
    }
  }

  private allow(type: string, action: Action): void {
    assertResourceType(type);
    assertAllowed(this.ctx, type, action);
  }

  async read(type: string, id: string): Promise<Resource> {
    return JSON.parse((await this.readJson(type, id)).json) as Resource;
  }

  /** A read answered with the stored JSON text as it is: the fast path of `GET Type/id`. */
  async readJson(
    type: string,
    id: string,
  ): Promise<{ json: string; versionId: string; lastUpdated: string }> {
    return this.audited('read', `${type}/${id}`, async () => {
      if (type === 'AuditEvent') await flushAudit(this.db);
      const { found, audit } = await this.currentJson(this.db, type, id);
      await queueAudit(this.db, [audit]);
      return found;
    });
  }

  private async currentJson(
    q: Queryable,
    type: string,
    id: string,
  ): Promise<{ found: { json: string; versionId: string; lastUpdated: string }; audit: AuditEntry }> {
    this.allow(type, 'read');
    assertId(id);
    const row = await readCurrentJson(q, type, id, accessOf(this.ctx));
    if (!row) throw notFound(`${type}/${id} not found`);
    if (row.deleted || !row.json) throw gone(`${type}/${id} was deleted`);
    if (!row.visible) throw new BreakGlassRequired(type === 'Patient' ? id : row.patient_id);
    return {
      found: {
        json: row.json,
        versionId: String(row.version_id),
        lastUpdated: new Date(row.last_updated).toISOString(),
      },
      audit: this.entry('read', 'success', { patientIds: ids(row.patient_id), entities: [`${type}/${id}`] }),
    };
  }

  /**
   * A read entry of a transaction, in its database transaction after the writes: it sees them,
   * its failure rolls them back, and its AuditEvent commits with them. (AuditEvent searches in a
   * transaction see what was audited before it began.)
   */
  async readInTransaction(tx: Queryable, type: string, id: string): Promise<Resource> {
    const { found, audit } = await this.currentJson(tx, type, id);
    await appendAudit(tx, [audit]);
    return JSON.parse(found.json) as Resource;
  }

  /** A search entry of a transaction, as readInTransaction. */
  async searchInTransaction(tx: Queryable, type: string, query: URLSearchParams): Promise<Bundle> {
    const { bundle, audit } = await this.searchIn(tx, type, query, { lenient: false });
    await appendAudit(tx, [audit]);
    return bundle;
  }

  async vread(type: string, id: string, version: string): Promise<Resource> {
    return this.audited('vread', `${type}/${id}/_history/${version}`, async () => {
      await this.allowReading(type, 'read');
      assertId(id);
      // The record's confidentiality first: a restricted record refuses every version alike, so
      // which version numbers exist (how often it changed) is not told without the glass.
      await assertVisible(this.db, this.ctx, type, id);
      // No store reaches 16 digits of versions, and past them the number no longer fits (a 500).
      if (!/^\d{1,15}$/.test(version)) throw notFound(`No version '${version}' of ${type}/${id}`);
      const row = await readVersion(this.db, type, id, Number(version));
      const resource = await this.visible(row, `${type}/${id}/_history/${version}`);
      await queueAudit(this.db, [
        this.entry('vread', 'success', { patientIds: ids(row?.patient_id), entities: [`${type}/${id}`] }),
      ]);
      return resource;
    });
  }

  /**
   * A stored version the caller may see. Every version is judged by the record's current labels
   * and its patient's (a record labelled later hides its earlier versions too).
   */
  private async visible(row: CurrentRow | undefined, label: string): Promise<Resource> {
    if (!row) throw notFound(`${label} not found`);
    await assertVisible(this.db, this.ctx, row.resource_type, row.id);
    if (row.deleted || !row.content) throw gone(`${label} was deleted`);
    return row.content;
  }

  async create(body: unknown, options: { ifNoneExist?: string; type?: string } = {}): Promise<WriteResult> {
    const type = options.type ?? (body as { resourceType?: unknown } | null)?.resourceType;
    return this.audited('create', String(type), async () => {
      if (options.type) assertResourceType(options.type);
      assertValidResource(body);
      if (options.type && body.resourceType !== options.type) {
        throw badRequest(
          `Body resourceType '${body.resourceType}' does not match URL type '${options.type}'`,
        );
      }
      this.allow(body.resourceType, 'create');
      this.assertWritable(body.resourceType);
      this.assertStorable(body);
      return this.db.transaction(async (tx) => {
        if (options.ifNoneExist !== undefined) {
          const existing = await this.showExisting(tx, body.resourceType, options.ifNoneExist);
          if (existing) return { resource: existing, created: false };
        }
        const resource = { ...body, id: newId() };
        await writeVersions(tx, [{ resource, previousVersion: 0, deleted: false }]);
        noteWrites(this.db, [resource.resourceType], tx);
        await appendAudit(tx, [this.changeEntry('create', resource)]);
        return { resource, created: true };
      });
    });
  }

  async update(
    type: string,
    id: string,
    body: unknown,
    options: { ifMatch?: number | undefined } = {},
  ): Promise<WriteResult> {
    return this.audited('update', `${type}/${id}`, async () => {
      this.allow(type, 'update');
      assertId(id);
      const resource = this.replacement(type, body);
      if (resource.id !== id)
        throw badRequest(`Body id '${resource.id ?? ''}' does not match URL id '${id}'`);
      return this.db.transaction((tx) => this.replaceIn(tx, { ...resource, id }, options.ifMatch));
    });
  }

  /**
   * Conditional update (`PUT Type?criteria`): the one matching record the caller may see is
   * updated; none is a create (at the body's id if it has one); several are 412. Records the
   * caller may not see never match (as If-None-Exist).
   */
  async conditionalUpdate(
    type: string,
    criteria: string,
    body: unknown,
    options: { ifMatch?: number | undefined } = {},
  ): Promise<WriteResult> {
    return this.audited('update', `${type}?${criteria}`, async () => {
      this.allow(type, 'update');
      if (!criteria)
        throw badRequest(`A conditional update needs search criteria: PUT ${type}?identifier=...`);
      const resource = this.replacement(type, body);
      if (resource.id !== undefined) assertId(resource.id);
      return this.db.transaction(async (tx) => {
        const existing = await this.findExisting(tx, type, criteria);
        if (existing?.id && resource.id !== undefined && resource.id !== existing.id)
          throw badRequest(`Body id '${resource.id}' is not the matching ${type}/${existing.id}`);
        if (!existing) this.allow(type, 'create');
        const id = existing?.id ?? resource.id ?? newId();
        return this.replaceIn(tx, { ...resource, id }, options.ifMatch);
      });
    });
  }

  /**
   * PATCH: a JSON Patch or FHIRPath Patch applied to the current version, in its transaction with the row locked;
   * the result is validated, checked and audited as an update. Without If-Match the version
   * patched is the one replaced, so no concurrent change is lost.
   */
  async patch(
    type: string,
    id: string,
    patch: PatchDocument,
    options: { ifMatch?: number | undefined } = {},
  ): Promise<WriteResult> {
    return this.audited('update', `${type}/${id}`, async () => {
      this.allow(type, 'update');
      assertId(id);
      this.assertWritable(type);
      return this.db.transaction(async (tx) => {
        const current = await readCurrent(tx, type, id, true);
        if (!current) throw notFound(`${type}/${id} not found`);
        if (current.deleted || !current.content) throw gone(`${type}/${id} was deleted`);
        await assertVisible(tx, this.ctx, type, id);
        const version = Number(current.version_id);
        if (options.ifMatch !== undefined && options.ifMatch !== version)
          throw preconditionFailed(`${type}/${id} is at version ${version}, not ${options.ifMatch}`);
        const patched = applyPatch(current.content, patch);
        assertSameRecord(type, id, patched);
        const resource = this.replacement(type, patched);
        return this.replaceIn(tx, { ...resource, id }, version);
      });
    });
  }

  /** A body that may replace a record of `type`: valid, of that type, writable and storable. */
  private replacement(type: string, body: unknown): Resource {
    assertValidResource(body);
    if (body.resourceType !== type)
      throw badRequest(`Body resourceType '${body.resourceType}' does not match URL type '${type}'`);
    this.assertWritable(type);
    this.assertStorable(body);
    return body;
  }

  /** Writes a new version of `resource` (created when there is none) in the caller's transaction. */
  private async replaceIn(
    tx: Queryable,
    resource: Resource & { id: string },
    ifMatch: number | undefined,
  ): Promise<WriteResult> {
    const { resourceType: type, id } = resource;
    const current = await readCurrent(tx, type, id, true);
    const version = current ? Number(current.version_id) : 0;
    if (ifMatch !== undefined && ifMatch !== version) {
      throw preconditionFailed(`${type}/${id} is at version ${version}, not ${ifMatch}`);
    }
    if (current?.content) await assertVisible(tx, this.ctx, type, id);
    await writeVersions(tx, [{ resource, previousVersion: version, deleted: false }]);
    noteWrites(this.db, [resource.resourceType], tx);
    await appendAudit(tx, [this.changeEntry(current ? 'update' : 'create', resource)]);
    return { resource, created: !current || current.deleted };
  }

  async delete(type: string, id: string, options: { ifMatch?: number | undefined } = {}): Promise<void> {
    return this.audited('delete', `${type}/${id}`, async () => {
      this.allow(type, 'delete');
      assertId(id);
      this.assertWritable(type);
      await this.db.transaction((tx) => this.deleteIn(tx, type, id, options.ifMatch));
    });
  }

  /**
   * Conditional delete (`DELETE Type?criteria`): the one matching record the caller may see is
   * deleted; none is 404 (a record the caller may not see never matches); several are 412.
   */
  async conditionalDelete(
    type: string,
    criteria: string,
    options: { ifMatch?: number | undefined } = {},
  ): Promise<void> {
    return this.audited('delete', `${type}?${criteria}`, async () => {
      this.allow(type, 'delete');
      this.assertWritable(type);
      if (!criteria)
        throw badRequest(`A conditional delete needs search criteria: DELETE ${type}?identifier=...`);
      await this.db.transaction(async (tx) => {
        const existing = await this.findExisting(tx, type, criteria);
        if (!existing?.id) throw notFound(`No ${type} matches '${criteria}'`);
        await this.deleteIn(tx, type, existing.id, options.ifMatch);
      });
    });
  }

  private async deleteIn(
    tx: Queryable,
    type: string,
    id: string,
    ifMatch: number | undefined,
  ): Promise<void> {
    const current = await readCurrent(tx, type, id, true);
    if (!current) throw notFound(`${type}/${id} not found`);
    const version = Number(current.version_id);
    if (ifMatch !== undefined && ifMatch !== version) {
      throw preconditionFailed(`${type}/${id} is at version ${version}, not ${ifMatch}`);
    }
    if (current.deleted) return;
    if (current.content) {
      await assertVisible(tx, this.ctx, type, id);
      await checkRemoval(this.db, tx, current.content, 'delete');
    }
    const tombstone = { resourceType: type, id } as Resource & { id: string };
    await writeVersions(tx, [{ resource: tombstone, previousVersion: version, deleted: true }]);
    await appendAudit(tx, [
      this.entry('delete', 'success', {
        patientIds: ids(current.patient_id),
        entities: [`${type}/${id}`],
      }),
    ]);
  }

  async search(type: string, query: URLSearchParams, options: { lenient: boolean }): Promise<Bundle> {
    return this.audited('search', `${type}?${query.toString()}`, async () => {
      if (type === 'AuditEvent') await flushAudit(this.db);
      const { bundle, audit } = await this.searchIn(this.db, type, query, options);
      await queueAudit(this.db, [audit]);
      return bundle;
    });
  }

  private async searchIn(
    q: Queryable,
    type: string,
    query: URLSearchParams,
    options: { lenient: boolean },
  ): Promise<{ bundle: Bundle; audit: AuditEntry }> {
    this.allow(type, 'search');
    const request = parseSearch(type, query, options);
    const bundle = await searchBundle(q, request, { baseUrl: this.baseUrl, access: accessOf(this.ctx) });
    const audit = this.entry('search', 'success', {
      query: `${type}?${query.toString()}`,
      patientIds: patientsIn(bundle.entry ?? []),
    });
    return { bundle, audit };
  }

  /**
   * A search built in code (parameters and values as data, see search/typed.ts): one page of
   * matches and what `include` asked for, under the access filter, audited as a search.
   */
  async find(spec: SearchSpec, plan: SearchPlan = {}): Promise<Found> {
    return plan.broad ? this.findBroad(spec) : this.findPages(spec, 1);
  }

  /** One page of a broad search and its total (see `SearchPlan`). */
  private async findBroad(spec: SearchSpec): Promise<Found> {
    const query = describeSpec(spec);
    return this.audited('search', query, async () => {
      await this.allowReading(spec.type, 'search');
      const request = typedSearchRequest(spec);
      const access = accessOf(this.ctx);
      const { matches, total } = await broadPage(this.db, request, access);
      const included =
        request.include.length > 0 ? await loadIncludes(this.db, matches, request.include, [], access) : [];
      await queueAudit(this.db, [
        this.entry('search', 'success', {
          query,
          patientIds: patientsIn([...matches, ...included].map((resource) => ({ resource }))),
        }),
      ]);
      return { matches, included, complete: true, total };
    });
  }

  /** Every page of a typed search, up to `limit` matches (the rest are left out, `complete` false). */
  async findAll(spec: SearchSpec, limit = 20_000): Promise<Found> {
    const pageSize = Math.min(spec.count ?? 1000, 1000);
    return this.findPages({ ...spec, count: pageSize }, Math.ceil(limit / pageSize));
  }

  private async findPages(spec: SearchSpec, maxPages: number): Promise<Found> {
    const query = describeSpec(spec);
    return this.audited('search', query, async () => {
      await this.allowReading(spec.type, 'search');
      let request = typedSearchRequest(spec);
      const access = accessOf(this.ctx);
      const found: Found = { matches: [], included: [], complete: true };
      for (let page = 0; page < maxPages; page += 1) {
        const { matches, next } = await searchPage(this.db, request, access);
        found.matches.push(...matches);
        if (request.include.length > 0)
          found.included.push(...(await loadIncludes(this.db, matches, request.include, [], access)));
        if (!next) break;
        if (page === maxPages - 1) found.complete = false;
        request = { ...request, cursor: next };
      }
      await queueAudit(this.db, [
        this.entry('search', 'success', {
          query,
          patientIds: patientsIn([...found.matches, ...found.included].map((resource) => ({ resource }))),
        }),
      ]);
      return found;
    });
  }

  /** How many records the caller may see match a typed search. */
  async count(spec: SearchSpec, plan: SearchPlan = {}): Promise<number> {
    const query = describeSpec(spec);
    return this.audited('search', query, async () => {
      await this.allowReading(spec.type, 'search');
      const counted = plan.broad ? broadCount : countSearch;
      const n = await counted(this.db, typedSearchRequest(spec), accessOf(this.ctx));
      await queueAudit(this.db, [this.entry('search', 'success', { query: `${query} (count)` })]);
      return n;
    });
  }

  /** Records carrying this business identifier (system and value matched exactly, as data). */
  async findByIdentifier(type: string, identifier: { system: string; value: string }): Promise<Resource[]> {
    const where: Criterion[] = [
      { param: 'identifier', tokens: [{ system: identifier.system, code: identifier.value }] },
    ];
    return (await this.findAll({ type, where, count: 100 }, 1000)).matches;
  }

  /** The records of these ids the caller may see (missing, deleted and hidden ones left out). */
  async readMany(type: string, idList: readonly string[]): Promise<Resource[]> {
    const out: Resource[] = [];
    const unique = [...new Set(idList)];
    for (let i = 0; i < unique.length; i += 1000) {
      const chunk = unique.slice(i, i + 1000);
      const where: Criterion[] = [{ param: '_id', tokens: chunk.map((code) => ({ code })) }];
      out.push(...(await this.find({ type, where, count: chunk.length })).matches);
    }
    return out;
  }

  /**
   * Which of these ids name live records the caller may see. Nothing but the ids the caller
   * already holds comes back, so it is not audited as a disclosure: worklists use it to count
   * and page, then read (audited) only the records they show.
   */
  async visibleIds(type: string, idList: readonly string[]): Promise<Set<string>> {
    await this.allowReading(type, 'search');
    if (idList.length === 0) return new Set();
    return visibleIdsOf(this.db, type, [...new Set(idList)], accessOf(this.ctx));
  }

  /**
   * Whether a record exists (deleted ones do not), whatever its labels. It tells only that: it is
   * what break-the-glass needs before a grant, and it is answered to roles that may read the type.
   */
  async exists(type: string, id: string): Promise<boolean> {
    await this.allowReading(type, 'read');
    assertId(id);
    const row = await readCurrent(this.db, type, id);
    return !!row && !row.deleted;
  }

  /**
   * The change feed background work follows (MPI scoring): current versions of `type` written
   * after `after` in (lastUpdated, id) order, deleted ones included. Only for system contexts;
   * audited as one read of the records it answers.
   */
  async changedSince(
    type: string,
    after: { lastUpdated: string; id: string },
    limit: number,
  ): Promise<ChangedRecord[]> {
    return this.audited('read', `${type}/_changes`, async () => {
      if (this.ctx.role !== 'system') throw forbidden('The change feed is for background work only');
      await this.allowReading(type, 'read');
      const rows = await changedRecords(this.db, type, after, limit);
      await queueAudit(this.db, [
        this.entry('read', 'success', {
          query: `${type}/_changes`,
          patientIds: type === 'Patient' ? rows.map((r) => r.id) : [],
          detail: `${rows.length} changed records`,
        }),
      ]);
      return rows;
    });
  }

  async history(type: string | undefined, id: string | undefined, query: URLSearchParams): Promise<Bundle> {
    const label = [type, id, '_history'].filter(Boolean).join('/');
    return this.audited('history', label, async () => {
      if (type) await this.allowReading(type, 'read');
      else if (this.ctx.role !== 'admin' && this.ctx.role !== 'system')
        assertAllowed(this.ctx, 'SystemHistory', 'read');
      const request = parseHistory(type, id, query);
      if (type && id) {
        assertId(id);
        // One resource's history: say it is restricted rather than hide it.
        if (!(await readCurrent(this.db, type, id))) throw notFound(`${type}/${id} not found`);
        await assertVisible(this.db, this.ctx, type, id);
      }
      const { bundle, patientIds } = await historyPage(this.db, request, accessOf(this.ctx), this.baseUrl);
      await queueAudit(this.db, [this.entry('history', 'success', { query: label, patientIds })]);
      return bundle;
    });
  }

  /**
   * Patient/$everything: the patient, its compartment and the resources it refers to, `_count`
   * records a page with `next` links, `total` the whole chart the caller may see.
   */
  async everything(patientId: string, query = new URLSearchParams()): Promise<Bundle> {
    return this.audited('operation', `Patient/${patientId}/$everything`, async () => {
      this.allow('Patient', 'read');
      assertId(patientId);
      const request = parseEverything(query);
      await this.visible(await readCurrent(this.db, 'Patient', patientId), `Patient/${patientId}`);
      const access = accessOf(this.ctx);
      const { own, referenced } = await compartmentKeys(this.db, patientId, access);
      // Types the role (or the token's scopes) may not read are left out rather than failing the whole chart.
      const keys = [
        { section: 0, type: 'Patient', id: patientId },
        ...own.map((k) => ({ ...k, section: 1 })),
        ...referenced.map((k) => ({ ...k, section: 2 })),
      ].filter((k) => mayDo(this.ctx, k.type, 'read'));
      const { page, next } = chartPage(keys, request);
      const resources = await chartRecords(this.db, page, access);
      await queueAudit(this.db, [
        this.entry('operation', 'success', {
          query: `Patient/${patientId}/$everything`,
          patientIds: [patientId],
        }),
      ]);
      return {
        resourceType: 'Bundle',
        type: 'searchset',
        total: keys.length,
        link: chartLinks(`${this.baseUrl}/Patient/${patientId}/$everything`, request, next),
        entry: resources.map((resource) => ({
          fullUrl: `${this.baseUrl}/${resource.resourceType}/${resource.id ?? ''}`,
          resource,
          search: { mode: 'match' },
        })),
      };
    });
  }

  private assertWritable(type: string): void {
    if (READ_ONLY_TYPES.has(type)) throw methodNotAllowed(`${type} resources are written by the server only`);
  }

  /**
   * A transaction or batch is work to run, never a record to keep: storing one would silently
   * drop every change in it (a client posting to `Bundle` or `Bundle/x` meant the base URL).
   */
  private assertStorable(body: Resource): void {
    if (body.resourceType === 'Bundle' && (body.type === 'transaction' || body.type === 'batch'))
      throw badRequest(`A ${body.type} Bundle is processed, not stored: POST it to the FHIR base URL`);
  }

  private changeEntry(action: AuditAction, resource: Resource): AuditEntry {
    return this.entry(action, 'success', {
      patientIds: ids(patientOf(resource)),
      entities: [`${resource.resourceType}/${resource.id ?? ''}`],
    });
  }

  /**
   * If-None-Exist / conditional references: the one matching resource the caller may see, none,
   * or 412 for several. Records the caller may not see do not match (success or failure must not
   * answer a search against them); when one would have, the attempt is audited against its
   * patient, as a refused read is.
   */
  async findExisting(q: Queryable, type: string, criteria: string): Promise<Resource | undefined> {
    const query = new URLSearchParams(criteria.replace(/^\?/, ''));
    query.set('_count', '2');
    const request = parseSearch(type, query, { lenient: false });
    const access = accessOf(this.ctx);
    const bundle = await searchBundle(q, request, { baseUrl: this.baseUrl, access });
    const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include');
    if (matches.length > 1) throw preconditionFailed(`More than one ${type} matches '${criteria}'`);
    if (matches.length === 0 && !seesEverything(access)) await this.auditHiddenMatches(q, request, criteria);
    return matches[0]?.resource;
  }

  /** A conditional lookup that only restricted records would have answered: audited, never told. */
  private async auditHiddenMatches(q: Queryable, request: SearchRequest, criteria: string): Promise<void> {
    const hidden = await searchBundle(q, request, { baseUrl: this.baseUrl });
    const patients = patientsIn(hidden.entry ?? []);
    if (patients.length === 0 && (hidden.entry ?? []).length === 0) return;
    // Queued, not awaited: the caller's transaction holds the connection (PGlite has one) and
    // may roll back, which must not take this record with it. Nothing is disclosed meanwhile.
    void queueAudit(this.db, [
      this.entry('read', 'denied', {
        patientIds: patients,
        query: `${request.resourceType}?${criteria.replace(/^\?/, '')}`,
        detail: 'conditional lookup matched only records this user may not see; treated as no match',
      }),
    ]);
  }

  /**
   * If-None-Exist: the matching resource is answered instead of a new one, so it is shown to the
   * caller (it passed the access filter) and is audited as a read in the caller's transaction.
   */
  async showExisting(tx: Queryable, type: string, criteria: string): Promise<Resource | undefined> {
    const existing = await this.findExisting(tx, type, criteria);
    if (!existing) return undefined;
    await appendAudit(tx, [
      this.entry('read', 'success', {
        patientIds: ids(patientOf(existing)),
        entities: [`${type}/${existing.id ?? ''}`],
        query: `${type}?${criteria.replace(/^\?/, '')}`,
      }),
    ]);
    return existing;
  }

  /**
   * Writes several resources and deletes in the caller's transaction (bundle processing).
   * A resource identical to its current version is left as it is (a no-op update).
   * Returns, per `Type/id`, whether it was created.
   */
  async writeInTransaction(
    tx: Queryable,
    resources: Array<Resource & { id: string }>,
    deletes: Array<{ type: string; id: string }>,
  ): Promise<Map<string, boolean>> {
    const keys = [...resources.map((r) => ({ type: r.resourceType, id: r.id })), ...deletes];
    const current = await lockCurrentVersions(tx, keys, accessOf(this.ctx));
    // As update() and delete() do: a record the user may not see is not theirs to overwrite or delete.
    for (const prev of current.values())
      if (!prev.deleted && !prev.visible) throw new BreakGlassRequired(prev.owner);
    const unchanged = await unchangedResources(
      tx,
      resources.filter((r) => current.has(`${r.resourceType}/${r.id}`)),
    );
    const created = new Map<string, boolean>();
    const writes: VersionWrite[] = [];
    const changed: Resource[] = [];
    for (const resource of resources) {
      const key = `${resource.resourceType}/${resource.id}`;
      const prev = current.get(key);
      created.set(key, !prev || prev.deleted);
      if (prev && unchanged.has(key)) {
        resource.meta = { ...resource.meta, versionId: String(prev.version), lastUpdated: prev.lastUpdated };
        continue;
      }
      writes.push({ resource, previousVersion: prev?.version ?? 0, deleted: false });
      changed.push(resource);
    }
    for (const d of deletes) {
      const prev = current.get(`${d.type}/${d.id}`);
      if (prev && !prev.deleted) {
        const record = (await readCurrent(tx, d.type, d.id))?.content;
        if (record) await checkRemoval(this.db, tx, record, 'delete');
        writes.push({
          resource: { resourceType: d.type, id: d.id } as Resource & { id: string },
          previousVersion: prev.version,
          deleted: true,
        });
      }
    }
    const patients = await writeVersions(tx, writes);
    noteWrites(
      this.db,
      writes.map((w) => w.resource.resourceType),
      tx,
    );
    // One AuditEvent for the whole bundle: every changed resource and patient is named in it.
    if (changed.length + deletes.length > 0) {
      await appendAudit(tx, [
        this.entry('transaction', 'success', {
          patientIds: [...patients],
          entities: [
            ...changed.map((r) => `${r.resourceType}/${r.id ?? ''}`),
            ...deletes.map((d) => `${d.type}/${d.id}`),
          ],
          detail: `${changed.length} written, ${deletes.length} deleted`,
        }),
      ]);
    }
    return created;
  }

  /**
   * Creates or updates several resources in ONE transaction (all or nothing), each validated and
   * authorised as create/update would be. A resource without an id is created; one identical to
   * its current version is left as it is (no new version). One AuditEvent names them all.
   * Answers the stored resources (with ids and versions) in the order given.
   */
  async saveAll(resources: Resource[]): Promise<Array<Resource & { id: string }>> {
    const label = resources.map((r) => `${r.resourceType}/${r.id ?? ''}`).join(',');
    return this.audited('transaction', label, async () => {
      const prepared: Array<Resource & { id: string }> = [];
      for (const body of resources) {
        assertValidResource(body);
        if (body.id !== undefined) assertId(body.id);
        this.allow(body.resourceType, body.id ? 'update' : 'create');
        this.assertWritable(body.resourceType);
        prepared.push({ ...body, id: body.id ?? newId() });
      }
      await this.db.transaction((tx) => this.writeInTransaction(tx, prepared, []));
      return prepared;
    });
  }

  /** The current version of a record, locked until the caller's transaction ends (404/410 otherwise). */
  async readForUpdate(tx: Queryable, type: string, id: string): Promise<Resource & { id: string }> {
    assertId(id);
    const row = await readCurrent(tx, type, id, true);
    if (!row) throw notFound(`${type}/${id} not found`);
    if (row.deleted || !row.content) throw gone(`${type}/${id} was deleted`);
    await assertVisible(tx, this.ctx, type, id);
    return row.content as Resource & { id: string };
  }

  /**
   * Every live record of a patient's compartment, locked, whatever its labels, for merging the
   * patient away (its chart moves to the survivor); the caller checked its right to merge on the
   * patients themselves. The removal guards (a legal hold) may refuse the merge-away here.
   */
  async lockCompartment(tx: Queryable, patientId: string): Promise<Array<Resource & { id: string }>> {
    assertId(patientId);
    const patient = (await readCurrent(tx, 'Patient', patientId, true))?.content;
    if (patient) await checkRemoval(this.db, tx, patient, 'merge-away');
    return lockCompartment(tx, patientId);
  }

  /**
   * Certified destruction (src/retention): removes the content of every version of every record
   * of a patient's chart, the Patient's included, in the caller's transaction; tombstones and the
   * audit trail (which names what was destroyed and why, not its content) stay.
   */
  async destroyChart(tx: Queryable, patientId: string, reason: string): Promise<DestroyedRecord[]> {
    assertId(patientId);
    this.allow('Patient', 'delete');
    const destroyed = await destroyCompartment(tx, patientId);
    await appendAudit(tx, [
      this.entry('delete', 'success', {
        patientIds: [patientId],
        entities: destroyed.map((d) => d.reference),
        detail: `destroyed (content of every version removed): ${reason}`,
      }),
    ]);
    return destroyed;
  }

  /**
   * The role check of a read or search by type; for the audit trail, its documents waiting in the
   * inbox are filed first, so what the store answers includes every event recorded before.
   */
  private async allowReading(type: string, action: 'read' | 'search'): Promise<void> {
    this.allow(type, action);
    if (type === 'AuditEvent') await flushAudit(this.db);
  }

  assertMay(type: string, action: Action): void {
    this.allow(type, action);
    if (action !== 'read' && action !== 'search') this.assertWritable(type);
  }

  auditEntry(
    action: AuditAction,
    outcome: AuditEntry['outcome'],
    extra: Partial<AuditEntry> = {},
  ): AuditEntry {
    return this.entry(action, outcome, extra);
  }
}

const ids = (id: string | null | undefined): string[] => (id ? [id] : []);

function patientsIn(entries: BundleEntry[]): string[] {
  const found = new Set<string>();
  for (const e of entries) {
    const r = e.resource;
    if (!r) continue;
    const p = patientOf(r);
    if (p) found.add(p);
  }
  return [...found];
}
