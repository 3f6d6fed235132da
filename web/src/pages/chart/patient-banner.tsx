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
    </section>
  );
}
