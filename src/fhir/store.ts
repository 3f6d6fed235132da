import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Action, RequestContext } from '../auth/access.ts';
import { deniedLabelsFor, isAllowed } from '../auth/policy.ts';
import { appendAudit, flushAudit, queueAudit, recordAudit } from '../audit/audit-log.ts';
import type { AuditAction, AuditEntry } from '../audit/audit-event.ts';
import type { Db, Queryable } from '../db/index.ts';
import {
  assertAllowed,
  assertLabelsVisible,
  assertMaySee,
  BreakGlassRequired,
  searchAccess,
} from './access-check.ts';
import { assertResourceType, assertValidResource, patientOf } from './definitions.ts';
import {
  badRequest,
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
  unchangedResources,
  writeVersions,
  type CurrentRow,
  type VersionWrite,
} from './unchecked-storage.ts';
import { parseSearch, searchBundle } from './search/index.ts';
import { noteWrites } from './statistics.ts';

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
      this.allow(type, 'read');
      assertId(id);
      const row = await readCurrentJson(this.db, type, id, deniedLabelsFor(this.ctx.role).length > 0);
      if (!row) throw notFound(`${type}/${id} not found`);
      if (row.deleted || !row.json) throw gone(`${type}/${id} was deleted`);
      assertLabelsVisible(this.ctx, row.labels.concat(row.patient_labels ?? []), row.patient_id);
      queueAudit(this.db, [
        this.entry('read', 'success', { patientIds: ids(row.patient_id), entities: [`${type}/${id}`] }),
      ]);
      return {
        json: row.json,
        versionId: String(row.version_id),
        lastUpdated: new Date(row.last_updated).toISOString(),
      };
    });
  }

  async vread(type: string, id: string, version: string): Promise<Resource> {
    return this.audited('vread', `${type}/${id}/_history/${version}`, async () => {
      this.allow(type, 'read');
      assertId(id);
      if (!/^\d+$/.test(version)) throw notFound(`No version '${version}' of ${type}/${id}`);
      const row = await readVersion(this.db, type, id, Number(version));
      const resource = await this.visible(row, `${type}/${id}/_history/${version}`);
      queueAudit(this.db, [
        this.entry('vread', 'success', { patientIds: ids(row?.patient_id), entities: [`${type}/${id}`] }),
      ]);
      return resource;
    });
  }

  private async visible(row: CurrentRow | undefined, label: string): Promise<Resource> {
    if (!row) throw notFound(`${label} not found`);
    if (row.deleted || !row.content) throw gone(`${label} was deleted`);
    await assertMaySee(this.db, this.ctx, row.content, row.patient_id);
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
      return this.db.transaction(async (tx) => {
        if (options.ifNoneExist !== undefined) {
          const existing = await this.showExisting(tx, body.resourceType, options.ifNoneExist);
          if (existing) return { resource: existing, created: false };
        }
        const resource = { ...body, id: newId() };
        await writeVersions(tx, [{ resource, previousVersion: 0, deleted: false }]);
        noteWrites(this.db, 1);
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
      assertValidResource(body);
      if (body.resourceType !== type)
        throw badRequest(`Body resourceType '${body.resourceType}' does not match URL type '${type}'`);
      if (body.id !== id) throw badRequest(`Body id '${body.id ?? ''}' does not match URL id '${id}'`);
      this.assertWritable(type);
      return this.db.transaction(async (tx) => {
        const current = await readCurrent(tx, type, id, true);
        const version = current ? Number(current.version_id) : 0;
        if (options.ifMatch !== undefined && options.ifMatch !== version) {
          throw preconditionFailed(`${type}/${id} is at version ${version}, not ${options.ifMatch}`);
        }
        if (current?.content) await assertMaySee(tx, this.ctx, current.content, current.patient_id);
        const resource = { ...body, id };
        await writeVersions(tx, [{ resource, previousVersion: version, deleted: false }]);
        noteWrites(this.db, 1);
        await appendAudit(tx, [this.changeEntry(current ? 'update' : 'create', resource)]);
        return { resource, created: !current || current.deleted };
      });
    });
  }

  async delete(type: string, id: string, options: { ifMatch?: number | undefined } = {}): Promise<void> {
    return this.audited('delete', `${type}/${id}`, async () => {
      this.allow(type, 'delete');
      assertId(id);
      this.assertWritable(type);
      await this.db.transaction(async (tx) => {
        const current = await readCurrent(tx, type, id, true);
        if (!current) throw notFound(`${type}/${id} not found`);
        const version = Number(current.version_id);
        if (options.ifMatch !== undefined && options.ifMatch !== version) {
          throw preconditionFailed(`${type}/${id} is at version ${version}, not ${options.ifMatch}`);
        }
        if (current.deleted) return;
        if (current.content) await assertMaySee(tx, this.ctx, current.content, current.patient_id);
        const tombstone = { resourceType: type, id } as Resource & { id: string };
        await writeVersions(tx, [{ resource: tombstone, previousVersion: version, deleted: true }]);
        await appendAudit(tx, [
          this.entry('delete', 'success', {
            patientIds: ids(current.patient_id),
            entities: [`${type}/${id}`],
          }),
        ]);
      });
    });
  }

  async search(type: string, query: URLSearchParams, options: { lenient: boolean }): Promise<Bundle> {
    return this.audited('search', `${type}?${query.toString()}`, async () => {
      this.allow(type, 'search');
      if (type === 'AuditEvent') await flushAudit(this.db);
      const request = parseSearch(type, query, options);
      const bundle = await searchBundle(this.db, request, {
        baseUrl: this.baseUrl,
        access: searchAccess(this.ctx),
      });
      queueAudit(this.db, [
        this.entry('search', 'success', {
          query: `${type}?${query.toString()}`,
          patientIds: patientsIn(bundle.entry ?? []),
        }),
      ]);
      return bundle;
    });
  }

  async history(type: string | undefined, id: string | undefined, query: URLSearchParams): Promise<Bundle> {
    const label = [type, id, '_history'].filter(Boolean).join('/');
    return this.audited('history', label, async () => {
      if (type) this.allow(type, 'read');
      else if (this.ctx.role !== 'admin' && this.ctx.role !== 'system')
        assertAllowed(this.ctx, 'SystemHistory', 'read');
      if (id) assertId(id);
      const count = Math.min(Math.max(Number(query.get('_count') ?? 100) || 100, 1), 1000);
      const since = query.get('_since');
      if (since && Number.isNaN(Date.parse(since))) throw badRequest(`Invalid _since '${since}'`);
      const where: string[] = [];
      const params: unknown[] = [];
      if (type) where.push(`resource_type = $${params.push(type)}`);
      if (id) where.push(`id = $${params.push(id)}`);
      if (since) where.push(`last_updated >= $${params.push(since)}`);
      if (!type || type !== 'AuditEvent') where.push(`resource_type <> 'AuditEvent'`);
      const rows = await this.db.query<CurrentRow>(
        `SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content FROM fhir_resource_version
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_updated DESC, version_id DESC LIMIT ${count}`,
        params,
      );
      if (id && rows.rows.length === 0 && type) throw notFound(`${type}/${id} not found`);
      const visible: CurrentRow[] = [];
      for (const row of rows.rows) {
        try {
          if (row.content) await assertMaySee(this.db, this.ctx, row.content, row.patient_id);
          visible.push(row);
        } catch (err) {
          if (id) throw err; // one resource's history: say it is restricted rather than hide it
        }
      }
      queueAudit(this.db, [
        this.entry('history', 'success', {
          query: label,
          patientIds: [...new Set(visible.map((r) => r.patient_id).filter((p): p is string => !!p))],
        }),
      ]);
      return historyBundle(this.baseUrl, visible);
    });
  }

  /** Patient/$everything: the patient's compartment and the resources it refers to. */
  async everything(patientId: string): Promise<Bundle> {
    return this.audited('operation', `Patient/${patientId}/$everything`, async () => {
      this.allow('Patient', 'read');
      assertId(patientId);
      const patient = await readCurrent(this.db, 'Patient', patientId);
      const patientResource = await this.visible(patient, `Patient/${patientId}`);
      // Records labelled with what the role may not see stay out, as in search, unless the user
      // broke the glass for this patient (the patient's own labels were checked just above).
      const denied = this.ctx.brokenGlassPatients.includes(patientId) ? [] : deniedLabelsFor(this.ctx.role);
      const own = await this.db.query<{ content: Resource }>(
        `SELECT content FROM fhir_resource WHERE patient_id = $1 AND NOT deleted AND resource_type NOT IN ('Patient', 'AuditEvent')
            AND NOT (security && $2::text[])
          ORDER BY resource_type, id`,
        [patientId, denied],
      );
      // What the chart refers to outside the compartment (practitioners, organisations,
      // locations, medications): reached from the patient's own resources through the index
      // keys, so the lookup stays proportional to one chart. The access trail is not the chart.
      const referenced = await this.db.query<{ content: Resource }>(
        `SELECT r.content FROM fhir_resource r
           JOIN (SELECT DISTINCT x.target_type, x.target_id FROM fhir_resource o
                   JOIN search_reference x ON x.resource_type = o.resource_type AND x.resource_id = o.id
                  WHERE o.patient_id = $1 AND o.resource_type <> 'AuditEvent' AND NOT o.deleted
                    AND NOT (o.security && $2::text[])) ref
             ON r.resource_type = ref.target_type AND r.id = ref.target_id
          WHERE NOT r.deleted AND (r.patient_id IS NULL) AND NOT (r.security && $2::text[])
          ORDER BY r.resource_type, r.id`,
        [patientId, denied],
      );
      // Types the role may not read are left out rather than failing the whole chart.
      const resources = [
        patientResource,
        ...own.rows.map((r) => r.content),
        ...referenced.rows.map((r) => r.content),
      ].filter((r) => isAllowed(this.ctx.role, r.resourceType, 'read'));
      queueAudit(this.db, [
        this.entry('operation', 'success', {
          query: `Patient/${patientId}/$everything`,
          patientIds: [patientId],
        }),
      ]);
      return {
        resourceType: 'Bundle',
        type: 'searchset',
        total: resources.length,
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

  private changeEntry(action: AuditAction, resource: Resource): AuditEntry {
    return this.entry(action, 'success', {
      patientIds: ids(patientOf(resource)),
      entities: [`${resource.resourceType}/${resource.id ?? ''}`],
    });
  }

  /** If-None-Exist / conditional references: the one matching resource, none, or 412 for several. */
  async findExisting(q: Queryable, type: string, criteria: string): Promise<Resource | undefined> {
    const query = new URLSearchParams(criteria.replace(/^\?/, ''));
    query.set('_count', '2');
    const bundle = await searchBundle(q, parseSearch(type, query, { lenient: false }), {
      baseUrl: this.baseUrl,
    });
    const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include');
    if (matches.length > 1) throw preconditionFailed(`More than one ${type} matches '${criteria}'`);
    return matches[0]?.resource;
  }

  /**
   * If-None-Exist: the matching resource is answered instead of a new one, so it is shown to the
   * caller. It passes the same confidentiality check as a read (a restricted chart needs the
   * glass broken: 403, never its content) and is audited as a read in the caller's transaction.
   */
  async showExisting(tx: Queryable, type: string, criteria: string): Promise<Resource | undefined> {
    const existing = await this.findExisting(tx, type, criteria);
    if (!existing) return undefined;
    const patient = patientOf(existing);
    await assertMaySee(tx, this.ctx, existing, patient);
    await appendAudit(tx, [
      this.entry('read', 'success', {
        patientIds: ids(patient),
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
    const current = await lockCurrentVersions(tx, keys, deniedLabelsFor(this.ctx.role).length > 0);
    // As update() and delete() do: a record the user may not see is not theirs to overwrite or delete.
    for (const prev of current.values())
      if (!prev.deleted && prev.labels) assertLabelsVisible(this.ctx, prev.labels, prev.patientId ?? null);
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
        writes.push({
          resource: { resourceType: d.type, id: d.id } as Resource & { id: string },
          previousVersion: prev.version,
          deleted: true,
        });
      }
    }
    const patients = await writeVersions(tx, writes);
    noteWrites(this.db, writes.length);
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

function historyBundle(baseUrl: string, rows: CurrentRow[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'history',
    total: rows.length,
    entry: rows.map((row) => {
      const lastModified = new Date(row.last_updated).toISOString();
      const url = `${row.resource_type}/${row.id}`;
      return row.deleted || !row.content
        ? {
            fullUrl: `${baseUrl}/${url}`,
            request: { method: 'DELETE', url },
            response: { status: '410 Gone', lastModified },
          }
        : {
            fullUrl: `${baseUrl}/${url}`,
            resource: row.content,
            request: {
              method: Number(row.version_id) === 1 ? 'POST' : 'PUT',
              url: Number(row.version_id) === 1 ? row.resource_type : url,
            },
            response: {
              status: Number(row.version_id) === 1 ? '201 Created' : '200 OK',
              etag: `W/"${row.version_id}"`,
              lastModified,
            },
          };
    }),
  };
}
