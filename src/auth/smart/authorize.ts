import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.ts';
import { badRequest, forbidden, notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { describeScope, parseScopes, scopeText, type ScopeSet } from '../../shared/scopes.ts';
import { sha256 } from '../token-cache.ts';
import { findApp, grantableScopes } from './apps.ts';

/**
 * The authorisation code flow (SMART App Launch 2.x with PKCE): the app's request is checked and
 * parked, the user approves or denies it on the consent screen of the web app, and an approval
 * becomes a one-time code bound to the user, the patient, the granted scopes and the PKCE
 * challenge.
 */

const REQUEST_TTL_SECONDS = 600;
const CODE_TTL_SECONDS = 120;
const LAUNCH_TTL_SECONDS = 300;

export interface AuthorizeParams {
  responseType: string | undefined;
  clientId: string | undefined;
  redirectUri: string | undefined;
  scope: string | undefined;
  state: string | undefined;
  aud: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  launch: string | undefined;
}

/** Where the browser goes next: the consent screen, or back to the app with an error. */
export type AuthorizeNext = { consent: string } | { redirect: string };

/** The app's redirect address with OAuth parameters added. */
function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * Checks an authorisation request. An unknown app or an unregistered redirect address is
 * answered here (400: sending the browser there would serve an attacker); every other problem
 * goes back to the app as an OAuth error on its redirect address.
 */
export async function startAuthorization(
  db: Db,
  p: AuthorizeParams,
  fhirBase: string,
): Promise<AuthorizeNext> {
  const app = p.clientId ? await findApp(db, p.clientId) : undefined;
  if (!app) throw badRequest('Unknown or disabled client_id');
  if (!p.redirectUri || !app.redirectUris.includes(p.redirectUri))
    throw badRequest('redirect_uri is not one registered for this app');
  const fail = (error: string, description: string): AuthorizeNext => ({
    redirect: redirectWith(p.redirectUri ?? '', { error, error_description: description, state: p.state }),
  });
  if (p.responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code');
  if (!p.codeChallenge || p.codeChallengeMethod !== 'S256')
    return fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
  if (p.aud !== undefined && p.aud.replace(/\/$/, '') !== fhirBase)
    return fail('invalid_request', `aud must be this server's FHIR base URL, ${fhirBase}`);
  const granted = grantableScopes(app, parseScopes(p.scope ?? ''), ['patient', 'user']);
  if (granted.resources.length === 0)
    return fail('invalid_scope', 'None of the asked scopes is registered for this app');
  if (p.launch !== undefined) {
    const launch = await db.query('SELECT 1 FROM smart_launch WHERE id = $1 AND expires_at > now()', [
      p.launch,
    ]);
    if (launch.rows.length === 0) return fail('invalid_request', 'The launch is unknown or expired');
  }
  const id = randomBytes(24).toString('base64url');
  // Requests nobody answered, codes nobody exchanged: gone once expired.
  await db.query('DELETE FROM smart_authorization WHERE expires_at < now()');
  await db.query('DELETE FROM smart_code WHERE expires_at < now()');
  await db.query(
    `INSERT INTO smart_authorization (id, client_id, redirect_uri, scope, state, code_challenge, launch_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
    [
      id,
      app.id,
      p.redirectUri,
      scopeText(granted),
      p.state ?? null,
      p.codeChallenge,
      p.launch ?? null,
      REQUEST_TTL_SECONDS,
    ],
  );
  return { consent: id };
}

interface RequestRow {
  id: string;
  client_id: string;
  app_name: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  code_challenge: string;
  launch_id: string | null;
}

async function pendingRow(q: Queryable, id: string): Promise<RequestRow> {
  const res = await q.query<RequestRow>(
    `SELECT a.id, a.client_id, c.name AS app_name, a.redirect_uri, a.scope, a.state, a.code_challenge, a.launch_id
       FROM smart_authorization a JOIN smart_client c ON c.id = a.client_id
      WHERE a.id = $1 AND a.expires_at > now() AND NOT c.disabled`,
    [id],
  );
  const row = res.rows[0];
  if (!row) throw notFound('This authorisation request is unknown or has expired: start again from the app');
  return row;
}

/** Whether the scopes need a patient context (any `patient/` scope, or `launch/patient`). */
const needsPatientContext = (s: ScopeSet): boolean =>
  s.launchPatient || s.resources.some((r) => r.context === 'patient');

export interface ConsentRequest {
  id: string;
  app: { id: string; name: string };
  scopes: Array<{ scope: string; description: string }>;
  /** A staff user must choose the patient (standalone launch with `launch/patient`). */
  choosePatient: boolean;
  /** The patient already decided: the EHR launch's, or a patient user's own. */
  patient: string | null;
}

/** What the consent screen shows the signed-in user. */
export async function consentRequest(q: Queryable, store: FhirStore, id: string): Promise<ConsentRequest> {
  const row = await pendingRow(q, id);
  const scopes = parseScopes(row.scope);
  const patient = await contextPatient(q, store, row);
  return {
    id: row.id,
    app: { id: row.client_id, name: row.app_name },
    scopes: scopes.resources.map((s) => ({ scope: s.text, description: describeScope(s) })),
    choosePatient: needsPatientContext(scopes) && patient === null,
    patient,
  };
}

/** The patient the context already fixes: a patient user's own, or the EHR launch's. */
async function contextPatient(q: Queryable, store: FhirStore, row: RequestRow): Promise<string | null> {
  if (store.ctx.role === 'patient') return store.ctx.compartment ?? null;
  if (!row.launch_id) return null;
  const res = await q.query<{ user_id: string; patient_id: string | null }>(
    'SELECT user_id, patient_id FROM smart_launch WHERE id = $1 AND expires_at > now()',
    [row.launch_id],
  );
  const launch = res.rows[0];
  if (!launch || launch.user_id !== store.ctx.userId)
    throw forbidden('This launch was started by another user or has expired');
  return launch.patient_id;
}

/**
 * The user's answer. A denial sends `access_denied` back to the app; an approval a one-time code.
 * A patient the user chose is read through the store first: audited, and refused when the user
 * may not see that chart.
 */
export async function decideAuthorization(
  db: Db,
  store: FhirStore,
  id: string,
  decision: { approve: boolean; patient: string | undefined },
): Promise<{ redirect: string }> {
  const row = await pendingRow(db, id);
  const state = row.state ?? undefined;
  if (!decision.approve) {
    await db.query('DELETE FROM smart_authorization WHERE id = $1', [id]);
    return {
      redirect: redirectWith(row.redirect_uri, {
        error: 'access_denied',
        error_description: 'The user denied the request',
        state,
      }),
    };
  }
  const scopes = parseScopes(row.scope);
  let patient = await contextPatient(db, store, row);
  if (patient === null && needsPatientContext(scopes)) {
    if (!decision.patient) throw badRequest('Choose the patient the app may see');
    patient = (await store.read('Patient', decision.patient)).id ?? null;
  }
  const code = randomBytes(32).toString('base64url');
  await db.transaction(async (tx) => {
    const gone = await tx.query('DELETE FROM smart_authorization WHERE id = $1 RETURNING id', [id]);
    if (gone.rows.length === 0) throw notFound('This authorisation request was already answered');
    await tx.query(
      `INSERT INTO smart_code (code_hash, client_id, user_id, redirect_uri, scope, patient_id, purpose, code_challenge, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
      [
        sha256(code),
        row.client_id,
        store.ctx.userId,
        row.redirect_uri,
        row.scope,
        patient,
        store.ctx.purpose,
        row.code_challenge,
        CODE_TTL_SECONDS,
      ],
    );
  });
  return { redirect: redirectWith(row.redirect_uri, { code, state }) };
}

/**
 * An EHR launch: the signed-in user opens an app on a chart. The launch id carries who and which
 * patient (read through the store: audited, and refused for a chart the user may not see).
 */
export async function startLaunch(
  db: Db,
  store: FhirStore,
  input: { clientId: string; patient: string | undefined },
  fhirBase: string,
): Promise<{ launch: string; url: string | null }> {
  const app = await findApp(db, input.clientId);
  if (!app) throw notFound(`No app '${input.clientId}'`);
  const patient = input.patient ? ((await store.read('Patient', input.patient)).id ?? null) : null;
  const launch = randomUUID();
  await db.query(
    `INSERT INTO smart_launch (id, user_id, patient_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [launch, store.ctx.userId, patient, LAUNCH_TTL_SECONDS],
  );
  const url = app.launchUrl ? redirectWith(app.launchUrl, { iss: fhirBase, launch }) : null;
  return { launch, url };
}
