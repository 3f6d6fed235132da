import { describe, expect, it } from 'vitest';
import { runEdits, type EditInput } from './edits.ts';

/** A complete analytic breast abstract that passes every edit. */
const PASSING: EditInput['values'] = {
  patientIdNumber: '00000001',
  dateOfBirth: '19610415',
  sex: '2',
  classOfCase: '14',
  dateOfDiagnosis: '20240305',
  sequenceNumberCentral: '00',
  primarySite: 'C509',
  laterality: '1',
  histologicTypeIcdO3: '8500',
  behaviorCodeIcdO3: '3',
  gradeClinical: '2',
  diagnosticConfirmation: '1',
  summaryStage2018: '1',
  rxDateSurgery: '20240320',
  rxSummSurgPrimSite: '22',
  rxSummChemo: '00',
  dateOfLastContact: '20250110',
  vitalStatus: '1',
  cancerStatus: '1',
};

function ids(values: EditInput['values'], extra: Partial<EditInput> = {}): string[] {
  return runEdits({ values, sourceCode: 'C50.911', otherTumours: [], ...extra }).map((e) => e.id);
}

describe('registry edits', () => {
  it('a complete abstract passes every edit', () => {
    expect(ids(PASSING)).toEqual([]);
  });

  it('requires more items of analytic cases than of non-analytic ones', () => {
    const { summaryStage2018: _s, cancerStatus: _c, ...lacking } = PASSING;
    expect(ids(lacking)).toEqual(['REQ-summaryStage2018', 'REQ-cancerStatus']);
    expect(ids({ ...lacking, classOfCase: '32' })).toEqual([]);
    const failure = runEdits({ values: { ...PASSING, primarySite: '' }, otherTumours: [] })[0];
    expect(failure).toMatchObject({ id: 'REQ-primarySite', level: 'error', items: ['primarySite'] });
    expect(failure?.message).toContain('Primary Site (ICD-O-3) (400) is required for class of case 14');
  });

  it('refuses invalid codes and dates, item by item', () => {
    expect(ids({ ...PASSING, sex: '7', dateOfDiagnosis: '20240231', primarySite: 'C99' })).toEqual(
      expect.arrayContaining(['VAL-sex', 'VAL-dateOfDiagnosis', 'VAL-primarySite']),
    );
    expect(ids({ ...PASSING, dateOfDiagnosis: '202403' })).toEqual([]);
  });

  it('checks site and histology against ICD-O-3 once the lists are loaded', () => {
    const icdo3 = { sites: new Set(['C509']), histologies: new Set(['8500']) };
    expect(ids(PASSING, { icdo3 })).toEqual([]);
    expect(ids({ ...PASSING, primarySite: 'C508', histologicTypeIcdO3: '8501' }, { icdo3 })).toEqual(
      expect.arrayContaining(['ICDO3-site', 'ICDO3-histology']),
    );
  });

  it('treatment may not precede diagnosis, nor last contact', () => {
    expect(ids({ ...PASSING, rxDateSurgery: '20240301' })).toEqual(['XDATE-rxDateSurgery']);
    expect(ids({ ...PASSING, dateOfLastContact: '20240101' })).toEqual(['XDATE-last-contact']);
    expect(ids({ ...PASSING, dateOfLastContact: '2024' })).toEqual([]);
  });

  it('laterality only for paired sites', () => {
    expect(ids({ ...PASSING, laterality: '0' })).toEqual(['XLAT-paired']);
    expect(ids({ ...PASSING, primarySite: 'C187', laterality: '1' }, { sourceCode: 'C18.7' })).toEqual([
      'XLAT-unpaired',
    ]);
    expect(ids({ ...PASSING, primarySite: 'C187', laterality: '0' }, { sourceCode: 'C18.7' })).toEqual([]);
  });

  it('behaviour agrees with the ICD-10-CM code the case was found by', () => {
    expect(ids({ ...PASSING, behaviorCodeIcdO3: '2' })).toContain('XBEH-icd10cm');
    expect(
      ids({ ...PASSING, behaviorCodeIcdO3: '2', summaryStage2018: '0' }, { sourceCode: 'D05.11' }),
    ).toEqual([]);
  });

  it("sequence numbers are consistent across the patient's tumours", () => {
    const other = { behaviorCodeIcdO3: '3', sequenceNumberCentral: '01' };
    expect(ids(PASSING, { otherTumours: [other] })).toEqual(['XSEQ-only']);
    expect(ids({ ...PASSING, sequenceNumberCentral: '01' }, { otherTumours: [other] })).toEqual([
      'XSEQ-duplicate',
    ]);
    expect(ids({ ...PASSING, sequenceNumberCentral: '02' }, { otherTumours: [other] })).toEqual([]);
    expect(ids({ ...PASSING, sequenceNumberCentral: '60' })).toEqual(['XSEQ-range']);
    // A benign brain tumour alongside does not count against the malignant numbering.
    expect(ids(PASSING, { otherTumours: [{ behaviorCodeIcdO3: '0', sequenceNumberCentral: '60' }] })).toEqual(
      [],
    );
  });
});
