import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  BASE_DICTIONARY_URI,
  buildNaaccrXml,
  NAACCR_NAMESPACE,
  parseNaaccrXml,
  type NaaccrDocument,
} from './naaccr-xml.ts';

const DOC: NaaccrDocument = {
  recordType: 'A',
  baseDictionaryUri: BASE_DICTIONARY_URI,
  timeGenerated: '2026-01-02T03:04:05Z',
  patients: [
    {
      items: { patientIdNumber: '00000001', sex: '2', dateOfBirth: '19610415' },
      tumors: [{ primarySite: 'C509', sequenceNumberCentral: '00', histologicTypeIcdO3: '8500' }],
    },
  ],
};

describe('NAACCR XML', () => {
  it('writes NaaccrData / Patient / Tumor / Item naaccrId in the NAACCR namespace', () => {
    const xml = buildNaaccrXml(DOC);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
    }).parse(xml) as {
      NaaccrData: Record<string, unknown> & {
        Patient: { Item: Array<Record<string, string>>; Tumor: { Item: Array<Record<string, string>> } };
      };
    };
    const root = parsed.NaaccrData;
    expect(root.xmlns).toBe(NAACCR_NAMESPACE);
    expect(root.baseDictionaryUri).toBe(BASE_DICTIONARY_URI);
    expect(root.recordType).toBe('A');
    expect(root.Patient.Item.map((i) => [i.naaccrId, i.naaccrNum, i['#text']])).toEqual([
      ['patientIdNumber', '20', '00000001'],
      ['sex', '220', '2'],
      ['dateOfBirth', '240', '19610415'],
    ]);
    expect(root.Patient.Tumor.Item.map((i) => i.naaccrId)).toEqual([
      'sequenceNumberCentral',
      'primarySite',
      'histologicTypeIcdO3',
    ]);
  });

  it('reads back what it wrote, leading zeros and all', () => {
    expect(parseNaaccrXml(buildNaaccrXml(DOC))).toEqual(DOC);
  });

  it('escapes text so the document stays well-formed', () => {
    const odd = { ...DOC, patients: [{ items: { patientIdNumber: '<&>"' }, tumors: [] }] };
    expect(parseNaaccrXml(buildNaaccrXml(odd)).patients[0]?.items.patientIdNumber).toBe('<&>"');
  });

  it('refuses malformed XML, another root or namespace with a 400', () => {
    for (const text of [
      '<NaaccrData',
      '<Other xmlns="http://naaccr.org/naaccrxml"/>',
      '<NaaccrData recordType="A" baseDictionaryUri="x"/>',
    ])
      expect(() => parseNaaccrXml(text)).toThrow(expect.objectContaining({ status: 400 }) as Error);
  });
});
