import type { Patient } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { medicalRecordNumber } from '../../../../src/shared/index.ts';
import { ageOn, formatDate, formatName, genderLabel } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';

/** The strip that stays on every chart view: who this is, so nobody works in the wrong chart. */
export function PatientBanner({ patient }: { patient: Patient }): ReactNode {
  const age = ageOn(
    patient.birthDate,
    patient.deceasedDateTime ? new Date(patient.deceasedDateTime) : undefined,
  );
  return (
    <section className="banner" aria-label="Patient">
      <p className="banner-name">
        <Link to={`/patients/${encodeURIComponent(patient.id ?? '')}`}>{formatName(patient.name)}</Link>
      </p>
      <dl className="banner-facts">
        <div>
          <dt>Born</dt>
          <dd>
            {formatDate(patient.birthDate)}
            {age !== undefined && ` (${age} y)`}
          </dd>
        </div>
        <div>
          <dt>Sex</dt>
          <dd>{genderLabel(patient.gender)}</dd>
        </div>
        <div>
          <dt>MRN</dt>
          <dd className="mono">{medicalRecordNumber(patient.identifier) ?? '—'}</dd>
        </div>
        {(patient.deceasedDateTime || patient.deceasedBoolean) && (
          <div>
            <dt>Deceased</dt>
            <dd>{patient.deceasedDateTime ? formatDate(patient.deceasedDateTime.slice(0, 10)) : 'Yes'}</dd>
          </div>
        )}
      </dl>
      <MergedAway patient={patient} />
    </section>
  );
}

/**
 * A record merged into another (Patient.link replaced-by) keeps no chart of its own: everything
 * moved to the survivor. Said plainly, with the way there, so nobody files into an empty chart.
 */
function MergedAway({ patient }: { patient: Patient }): ReactNode {
  const survivor = patient.link?.find((l) => l.type === 'replaced-by')?.other;
  const id = survivor?.reference?.split('/').pop();
  if (!id) return null;
  return (
    // Full width under the facts: the banner is a wrapping flex row.
    <p className="warn-text" role="status" style={{ flexBasis: '100%', margin: 0 }}>
      This record was merged into {survivor?.display ?? 'another record'} and is no longer used.{' '}
      <Link to={`/patients/${encodeURIComponent(id)}`}>Open the surviving chart</Link>
    </p>
  );
}
