import { describe, expect, it } from 'vitest';
import { parseIcdO3List } from './icdo3.ts';

describe('ICD-O-3 lists a site loads', () => {
  it('read topography and morphology codes in their usual spellings, header and duplicates skipped', () => {
    expect(
      parseIcdO3List('site', 'code,label\nC50.9,"Breast, NOS"\nC509;Breast again\r\nC18.7\tSigmoid colon\n'),
    ).toEqual([
      { code: 'C509', label: 'Breast, NOS' },
      { code: 'C187', label: 'Sigmoid colon' },
    ]);
    expect(
      parseIcdO3List(
        'histology',
        '8500/3\tInfiltrating duct carcinoma\n8140/2\tAdenocarcinoma in situ\n8140/3\tAdenocarcinoma',
      ),
    ).toEqual([
      { code: '8500', label: 'Infiltrating duct carcinoma' },
      { code: '8140', label: 'Adenocarcinoma in situ' },
    ]);
  });

  it('take a code and label separated by a space', () => {
    expect(parseIcdO3List('site', 'C34.1 Upper lobe, lung')).toEqual([
      { code: 'C341', label: 'Upper lobe, lung' },
    ]);
  });

  it('refuse a line that is not a code, naming it', () => {
    expect(() => parseIcdO3List('site', 'C50.9 Breast\nbreast cancer\n')).toThrow(
      /Line 2: 'breast' is not an ICD-O-3 topography code/,
    );
  });
});
