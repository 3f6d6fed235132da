import { describe, expect, it } from 'vitest';
import { addYears, ageOn, retentionEnd, type RetentionRule } from './schedule.ts';

const chart: RetentionRule = {
  id: 'chart',
  recordType: '*',
  adultYears: 10,
  majorityAge: 18,
  minorYears: 3,
  deceasedYears: 6,
  description: 'test',
};
const imaging: RetentionRule = { ...chart, id: 'mammography', recordType: 'ImagingStudy', adultYears: 15 };
const types = new Set(['Encounter', 'Condition']);

describe('retention schedule', () => {
  it('counts years by the calendar', () => {
    expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
    expect(addYears('2020-06-15', 10)).toBe('2030-06-15');
    expect(ageOn('2006-05-10', '2024-05-09')).toBe(17);
    expect(ageOn('2006-05-10', '2024-05-10')).toBe(18);
  });

  it('keeps an adult chart N years after the last encounter', () => {
    expect(
      retentionEnd({ birthDate: '1970-01-01', lastEncounter: '2015-03-04', recordTypes: types }, [chart]),
    ).toMatchObject({
      retainUntil: '2025-03-04',
      basis: 'adult',
      ruleId: 'chart',
    });
  });

  it("keeps a minor's chart to majority plus N years, or the adult period when that ends later", () => {
    // Seen at 4: age 21 (2031) is later than 10 years after (2024).
    expect(
      retentionEnd({ birthDate: '2010-07-01', lastEncounter: '2014-07-02', recordTypes: types }, [chart]),
    ).toMatchObject({
      retainUntil: '2031-07-01',
      basis: 'minor',
    });
    // Seen at 17: 10 years after (2032) is later than age 21 (2028).
    expect(
      retentionEnd({ birthDate: '2007-01-01', lastEncounter: '2022-06-01', recordTypes: types }, [chart])
        .retainUntil,
    ).toBe('2032-06-01');
  });

  it("keeps a deceased patient's chart N years after death, and the longest rule of the record types held", () => {
    expect(
      retentionEnd(
        {
          birthDate: '1940-01-01',
          deceased: { date: '2019-11-20' },
          lastEncounter: '2019-11-18',
          recordTypes: types,
        },
        [chart],
      ),
    ).toMatchObject({ retainUntil: '2025-11-20', basis: 'deceased' });
    const withImaging = new Set([...types, 'ImagingStudy']);
    expect(
      retentionEnd({ birthDate: '1970-01-01', lastEncounter: '2015-03-04', recordTypes: withImaging }, [
        chart,
        imaging,
      ]),
    ).toMatchObject({ retainUntil: '2030-03-04', ruleId: 'mammography' });
    expect(
      retentionEnd({ birthDate: '1970-01-01', recordTypes: types }, [chart]).retainUntil,
    ).toBeUndefined();
  });
});
