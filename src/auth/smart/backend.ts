import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { Queryable } from '../../db/index.ts';
import { parsePurpose } from '../tokens.ts';
import { getUserById } from '../users.ts';
import { parseScopes, scopeText } from '../../shared/scopes.ts';
import { findApp, grantableScopes } from './apps.ts';
import { issueTokens, OAuthError, type TokenAnswer } from './grants.ts';

/**
 * SMART Backend Services: a registered service proves itself with a JWT signed by its private
 * key (RS384 or ES384; RFC 7523 `private_key_jwt`), checked against the public keys registered
 * for it. `iss` and `sub` are its client id, `aud` this token endpoint, the lifetime at most five
 * minutes, and each `jti` is accepted once.
 */

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_SECONDS = 300;

export async function backendServiceToken(
  tx: Queryable,
  input: { assertion: string; scope: string; tokenUrl: string },
  ttlSeconds: number,
): Promise<TokenAnswer & { userId: string; clientId: string }> {
  const invalid = (why: string) => new OAuthError(401, 'invalid_client', why);
  let clientId: string;
  try {
    clientId = String(decodeJwt(input.assertion).iss ?? '');
  } catch {
    throw invalid('client_assertion is not a JWT');
  }
  const app = clientId ? await findApp(tx, clientId) : undefined;
  if (!app?.jwks || !app.serviceUserId) throw invalid('Unknown client, or one registered without keys');
  let payload;
  try {
    ({ payload } = await jwtVerify(input.assertion, createLocalJWKSet(app.jwks), {
      issuer: app.id,
      subject: app.id,
      audience: input.tokenUrl,
      algorithms: ['RS384', 'ES384'],
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (err) {
    throw invalid(`client_assertion refused: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exp = payload.exp ?? 0;
  if (exp > Date.now() / 1000 + MAX_ASSERTION_SECONDS)
    throw invalid('client_assertion lives longer than 5 minutes');
  const seen = await tx.query(
    `INSERT INTO smart_assertion (client_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3))
     ON CONFLICT DO NOTHING RETURNING jti`,
    [app.id, String(payload.jti), exp],
  );
  if (seen.rows.length === 0) throw invalid('client_assertion was used before (jti)');
  await tx.query('DELETE FROM smart_assertion WHERE expires_at < now()');
  const user = await getUserById(tx, app.serviceUserId);
  if (!user || user.disabled) throw invalid('The service user is disabled');
  const granted = grantableScopes(app, parseScopes(input.scope), ['system']);
  if (granted.resources.length === 0)
    throw new OAuthError(400, 'invalid_scope', 'None of the asked scopes is registered for this client');
  const purpose = parsePurpose(undefined, user.role) ?? 'HSYSADMIN';
  const grant = {
    userId: user.id,
    purpose,
    scope: scopeText({ ...granted, refresh: false }),
    patientId: null,
    clientId: app.id,
  };
  return { ...(await issueTokens(tx, grant, ttlSeconds)), userId: user.id, clientId: app.id };
}
