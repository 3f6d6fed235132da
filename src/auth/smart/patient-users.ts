import type { Db } from '../../db/index.ts';
import { badRequest, notFound } from '../../fhir/outcomes.ts';
import type { FhirStore } from '../../fhir/store.ts';
import { forgetCachedTokens } from '../token-cache.ts';
import { findUser, type User } from '../users.ts';

/**
 * Links a patient user to the Patient record they are. From then on every token of theirs reads
 * that patient's compartment only (src/fhir/access-filter.ts). The Patient is read through the
 * administrator's store: it must exist, and the link is audited as that read.
 */
export async function linkPatientUser(
  db: Db,
  store: FhirStore,
  username: string,
  patientId: string,
): Promise<User & { patientId: string }> {
  const user = await findUser(db, username);
  if (!user) throw notFound(`No user '${username}'`);
  if (user.role !== 'patient') throw badRequest(`'${username}' is not a patient user (role ${user.role})`);
  const patient = await store.read('Patient', patientId);
  await db.query('UPDATE app_user SET patient_id = $2 WHERE id = $1', [user.id, patient.id]);
  // After the change: tokens cached with the old link must not outlive it.
  forgetCachedTokens();
  const { passwordHash: _hash, failedLogins: _failed, ...plain } = user;
  return { ...plain, patientId };
}
