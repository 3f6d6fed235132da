import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identifier } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { adtTextToAction } from './adt-to-fhir.ts';
import type { AdtMapResult, AdtMerge, AdtUpsert } from './adt-to-fhir.ts';

const ADT_DIR = sharedTestdata('hl7v2-adt');
const readAdt = (name: string): string => readFileSync(join(ADT_DIR, name), 'utf8');

function upsert(result: AdtMapResult): AdtUpsert {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.reason}`);
  if (result.action.kind !== 'upsert') throw new Error(`expected upsert, got ${result.action.kind}`);
  return result.action;
}

function merge(result: AdtMapResult): AdtMerge {
  if (!result.ok) throw new Error(`rejected: ${result.rejection.reason}`);
  if (result.action.kind !== 'merge') throw new Error(`expected merge, got ${result.action.kind}`);
  return result.action;
}

const sysValue = (ids: Identifier[] | undefined): string[] =>
  (ids ?? []).map((i) => `${i.system ?? ''}|${i.value ?? ''}`);
const local = (name: string): string => `urn:custodian:hl7:assigning-authority:${name}`;
const SSN = 'http://hl7.org/fhir/sid/us-ssn';

describe.skipIf(!hasSharedTestdata)('shared test data (microsoft/FHIR-Converter samples)', () => {
  it('maps every file to the action kind its trigger asks for', () => {
    const files = readdirSync(ADT_DIR).filter((f) => f.endsWith('.hl7'));
    expect(files).toHaveLength(17);
    for (const file of files) {
      const result = adtTextToAction(readAdt(file));
      expect(result.ok, `${file}: ${result.ok ? '' : result.rejection.reason}`).toBe(true);
      if (!result.ok) continue;
      expect(result.action.kind, file).toBe(file.includes('A40') ? 'merge' : 'upsert');
      expect(result.action.warnings, file).toEqual([]);
    }
  });

  it('v2.8 long A01: identifiers, names, birth, sex, address, telecom, death and the visit', () => {
    const action = upsert(adtTextToAction(readAdt('ADT-A01-01.hl7')));
    expect(action.header).toMatchObject({
      controlId: 'MSG00001',
      trigger: 'A01',
      version: '2.8',
      sendingApplication: 'ADTApp',
    });
    const p = action.patient;
    expect(sysValue(p.identifier)).toEqual([`${local('test1')}|PATID1234`, `${SSN}|123456789`]);
    expect(p.identifier?.[0]?.type?.coding?.[0]?.code).toBe('MR');
    expect(p.name?.[0]).toEqual({
      use: 'usual',
      family: 'EVERYMAN',
      given: ['ADAM', 'A'],
      prefix: ['Dr.'],
      suffix: ['III', 'MD', 'PF'],
    });
    expect(p.name?.[1]).toMatchObject({
      use: 'official',
      family: 'Josh',
      given: ['stanley'],
      period: { start: '1924-10-10', end: '1924-10-15' },
    });
    // 198808181126+0215: the calendar date as written, the instant in UTC.
    expect(p.birthDate).toBe('1988-08-18');
    expect(p.extension?.[0]?.valueDateTime).toBe('1988-08-18T09:11:00Z');
    expect(p.gender).toBe('male');
    expect(p.address?.[0]).toMatchObject({
      type: 'postal',
      line: ['1000 Hospital Lane', 'Ste. 123'],
      city: 'Ann Arbor',
      state: 'MI',
      postalCode: '99999',
      period: { start: '2000-01-10', end: '2000-01-20' },
    });
    expect(p.telecom?.[0]).toMatchObject({ system: 'phone', value: '78788788', use: 'mobile', rank: 18 });
    expect(p.telecom?.find((t) => t.value === '1111')).toMatchObject({ system: 'phone', use: 'work' });
    expect(p.deceasedDateTime).toBe('2008-08-25T10:01:30Z');
    expect(p.maritalStatus?.coding?.[0]?.code).toBe('M');

    const e = action.encounter;
    expect(e?.status).toBe('in-progress');
    expect(e?.class.code).toBe('PRENC'); // PV1-2 P (preadmit)
    expect(sysValue(e?.identifier)).toEqual([`${local('AccMng')}|40007716`]);
    expect(e?.period).toEqual({ start: '2015-02-08T10:24:19Z' });
    expect(e?.location?.[0]?.location.display).toBe('HUH AE OMU, OMU B, Bed 03 (HOMERTON UNIVER)');
    expect(e?.subject?.identifier?.value).toBe('PATID1234');
  });

  it('trusts MSH-9 over an EVN-1 that says A01 (v2.8 quirk)', () => {
    for (const [file, trigger, status] of [
      ['ADT-A03-01.hl7', 'A03', 'finished'],
      ['ADT-A03-02.hl7', 'A03', 'finished'],
      ['ADT-A04-02.hl7', 'A04', 'arrived'],
      ['ADT-A08-02.hl7', 'A08', 'in-progress'],
    ] as const) {
      expect(readAdt(file)).toContain('\nEVN|A01|');
      const action = upsert(adtTextToAction(readAdt(file)));
      expect(action.header.trigger, file).toBe(trigger);
      expect(action.encounter?.status, file).toBe(status);
    }
    const discharge = upsert(adtTextToAction(readAdt('ADT-A03-01.hl7')));
    expect(discharge.encounter?.period).toEqual({
      start: '2015-02-08T10:24:19Z',
      end: '2015-02-09T10:24:19Z',
    });
    expect(discharge.encounter?.location?.[0]?.status).toBe('completed');
  });

  it('A28/A31 update the person only: their PV1 is a placeholder, not a visit', () => {
    for (const file of ['ADT-A28-01.hl7', 'ADT-A31-01.hl7']) {
      const action = upsert(adtTextToAction(readAdt(file)));
      expect(action.encounter).toBeUndefined();
      expect(action.patient.name?.[0]?.family).toBe('EVERYMAN');
    }
  });

  it('older versions with a BOM: v2.3 A01, v2.5.1 A01, v2.3 A04s', () => {
    const duck = upsert(adtTextToAction(readAdt('ADT01-23.hl7')));
    expect(sysValue(duck.patient.identifier)).toEqual([`${local('1')}|10006579`, `${SSN}|123121234`]);
    expect(duck.patient.name?.[0]).toMatchObject({ family: 'DUCK', given: ['DONALD', 'D'] });
    expect(duck.patient.birthDate).toBe('1924-10-10');
    expect(duck.encounter).toMatchObject({
      status: 'in-progress',
      class: { code: 'IMP' },
      period: { start: '2005-01-09T21:55:02Z' },
    });
    expect(sysValue(duck.encounter?.identifier)).toEqual([`${local('AccMgr')}|40007716`]);

    const adam = upsert(adtTextToAction(readAdt('ADT01-28.hl7')));
    expect(sysValue(adam.patient.identifier)).toEqual([`${local('ADT1')}|PATID1234`, `${SSN}|123456789`]);
    expect(adam.patient.birthDate).toBe('1961-06-15');
    expect(adam.patient.address?.[0]).toMatchObject({
      line: ['2222 HOME STREET'],
      city: 'GREENSBORO',
      postalCode: '27401-1020',
    });

    const mario = upsert(adtTextToAction(readAdt('ADT04-23.hl7')));
    // 123456789^^^^MR has no assigning authority: it is the sending facility's (MSH-4 NINTENDO).
    expect(sysValue(mario.patient.identifier)).toEqual([`${local('NINTENDO')}|123456789`]);
    expect(mario.patient.telecom?.map((t) => t.value)).toEqual(['(555)555-0123', '(555)555-0124']);
    expect(mario.encounter?.class.code).toBe('AMB');

    const jane = upsert(adtTextToAction(readAdt('ADT04-251.hl7')));
    expect(jane.patient).toMatchObject({
      gender: 'female',
      birthDate: '1978-01-01',
      name: [{ family: 'Doe', given: ['Jane'] }],
    });
    expect(jane.encounter?.class.code).toBe('EMER');

    const timothy = upsert(adtTextToAction(readAdt('ADT04-28.hl7')));
    expect(sysValue(timothy.patient.identifier)).toEqual([
      `${local('MR')}|0000000001`,
      `${local('EHRID')}|e167267c-16c9-4fe3-96ae-9cff5703e90a`,
      `${local('NIST')}|a1d4ee8aba494ca`,
      `${SSN}|101-01-0001`,
    ]);
    expect(timothy.patient.maritalStatus).toEqual({ text: 'Married' });
  });

  it('A40 (structure ADT_A40): one pair, then two pairs in order', () => {
    const one = merge(adtTextToAction(readAdt('ADT-A40-01.hl7')));
    expect(one.merges).toHaveLength(1);
    expect(sysValue(one.merges[0]?.survivor)).toEqual([`${local('BCBS')}|12345`]);
    expect(sysValue(one.merges[0]?.nonSurvivor)).toEqual([`${local('BCBS')}|56789`]);
    expect(one.merges[0]?.survivorPatient).toMatchObject({ gender: 'female', birthDate: '2018-02-05' });

    const two = merge(adtTextToAction(readAdt('ADT-A40-02.hl7')));
    expect(two.merges.map((m) => [m.survivor[0]?.value, m.nonSurvivor[0]?.value])).toEqual([
      ['12345', '56789'],
      ['145', '569'],
    ]);
  });
});

// Messages in the forms of the HL7 v2.5 chapter 3 examples.
const A01 = [
  'MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB, INC.|GOOD HEALTH HOSPITAL|198808181126|SECURITY|ADT^A01^ADT_A01|MSG00001|P|2.5|',
  'EVN|A01|200708181123||',
  'PID|1||PATID1234^5^M11^ADT1^MR^GOOD HEALTH HOSPITAL~123456789^^^USSSA^SS||EVERYMAN^ADAM^A^III||19610615|M||C|2222 HOME STREET^^GREENSBORO^NC^27401-1020|GL|(555) 555-2004|(555)555-2004||S||PATID12345001^2^M10^ADT1^AN^A|444333333|987654^NC|',
  'NK1|1|NUCLEAR^NELDA^W|SPO^SPOUSE||||NK^NEXT OF KIN',
  'PV1|1|I|2000^2012^01||||004777^ATTEND^AARON^A|||SUR||||ADM|A0|',
];

const A04 = [
  'MSH|^~\\&|REGADT|MCM|IFENG||199901101501||ADT^A04^ADT_A01|000001|P|2.5|||',
  'EVN|A04|199901101500|199901101400|01||199901101410',
  'PID|||191919^^^GENHOS^MR~371-66-9256^^^USSSA^SS|253763|MASSIE^JAMES^A||19560129|M|||171 ZOBERLEIN^^ISHPEMING^MI^49849^""^||(900)485-5344|(900)485-5344||S|C|10199925^^^GENHOS^AN|371-66-9256||',
  'NK1|1|MASSIE^ELLEN|SPOUSE|171 ZOBERLEIN^^ISHPEMING^MI^49849^""^|(900)485-5344|(900)545-1234~(900)545-1200|EC1^FIRST EMERGENCY CONTACT',
  'PV1||O|O/R||||0148^ADDISON^JAMES|0148^ADDISON^JAMES|0148^ADDISON^JAMES|AMB|||||||0148^ADDISON^JAMES|S|1400|A|||||||||||||||||||GENHOS|||||199501101410|',
];

const A40 = [
  'MSH|^~\\&|REGADT|MCM|RSP1P8|MCM|200301051530|SEC|ADT^A40^ADT_A39|00000003|P|2.5',
  'EVN|A40|200301051530',
  'PID|||MR1^^^XYZ^MR||EVERYWOMAN^EVE|||||||||||||ACCT1',
  'MRG|MR2^^^XYZ^MR||ACCT1',
];

const cr = (lines: string[]): string => lines.join('\r');

/** The chapter 3 A01 with PID replaced. */
const a01WithPid = (pid: string): string => cr([A01[0]!, A01[1]!, pid, A01[4]!]);

describe('HL7 v2.5 chapter 3 example forms', () => {
  it('A01: repeating identifiers with assigning authority and type', () => {
    const action = upsert(adtTextToAction(cr(A01)));
    const ids = action.patient.identifier ?? [];
    expect(ids).toEqual([
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        system: local('ADT1'),
        value: 'PATID1234',
      },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] },
        system: SSN,
        value: '123456789',
      },
    ]);
    expect(action.patient.name).toEqual([{ family: 'EVERYMAN', given: ['ADAM', 'A'], suffix: ['III'] }]);
    expect(action.patient.birthDate).toBe('1961-06-15');
    expect(action.patient.telecom).toEqual([
      { system: 'phone', value: '(555) 555-2004', use: 'home' },
      { system: 'phone', value: '(555)555-2004', use: 'work' },
    ]);
    expect(action.patient.maritalStatus?.coding?.[0]?.code).toBe('S');
    // No PV1-19 visit number: the encounter has no identifier and the lead decides how to match it.
    expect(action.encounter).toMatchObject({ status: 'in-progress', class: { code: 'IMP' } });
    expect(action.encounter?.identifier).toBeUndefined();
    expect(action.encounter?.location?.[0]?.location.display).toBe('2000, 2012, 01');
  });

  it('A04: explicit null "" is treated as absent, visit number and admit time kept', () => {
    const action = upsert(adtTextToAction(cr(A04)));
    expect(sysValue(action.patient.identifier)).toEqual([`${local('GENHOS')}|191919`, `${SSN}|371-66-9256`]);
    expect(action.patient.address).toEqual([
      { line: ['171 ZOBERLEIN'], city: 'ISHPEMING', state: 'MI', postalCode: '49849' },
    ]);
    expect(action.encounter).toMatchObject({ status: 'arrived', class: { code: 'AMB' } });
    expect(sysValue(action.encounter?.identifier)).toEqual([`${local('MCM')}|1400`]);
    expect(action.encounter?.period).toEqual({ start: '1995-01-10T14:10:00Z' });
    expect(action.header.eventTime).toBe('1999-01-10T14:10:00Z'); // EVN-6 beats EVN-2
  });

  it('A08 with a discharge time is a finished visit; without one it stays in progress', () => {
    const a08 = A04.map((l) => l.replace('ADT^A04^ADT_A01', 'ADT^A08^ADT_A01').replace('EVN|A04', 'EVN|A08'));
    expect(upsert(adtTextToAction(cr(a08))).encounter?.status).toBe('in-progress');
    const discharged = a08.map((l) => (l.startsWith('PV1') ? `${l}199501121000` : l));
    const action = upsert(adtTextToAction(cr(discharged)));
    expect(action.encounter?.status).toBe('finished');
    expect(action.encounter?.period).toEqual({ start: '1995-01-10T14:10:00Z', end: '1995-01-12T10:00:00Z' });
  });

  it('A40: MRG-1 merges into PID-3', () => {
    const action = merge(adtTextToAction(cr(A40)));
    expect(action.merges).toEqual([
      expect.objectContaining({
        survivor: [expect.objectContaining({ system: local('XYZ'), value: 'MR1' })],
        nonSurvivor: [expect.objectContaining({ system: local('XYZ'), value: 'MR2' })],
      }),
    ]);
  });

  it('decodes each escape sequence in the field it appears in', () => {
    const pid = String.raw`PID|1||PATID1234^5^M11^ADT1^MR||O\T\NEIL^MARY\S\ANN^\E\JR||19610615|F||C|12 MAIN ST \F\ UNIT 2^APT \R\4^CAF\XC3A9\ TOWN^NC^27401||555\XFF\1212`;
    const action = upsert(adtTextToAction(a01WithPid(pid)));
    const name = action.patient.name?.[0];
    expect(name?.family).toBe('O&NEIL'); // \T\ is the subcomponent separator
    expect(name?.given).toEqual(['MARY^ANN', '\\JR']); // \S\ component, \E\ escape character
    const address = action.patient.address?.[0];
    expect(address?.line).toEqual(['12 MAIN ST | UNIT 2', 'APT ~4']); // \F\ field, \R\ repetition
    expect(address?.city).toBe('CAFé TOWN'); // \XC3A9\ is UTF-8 for é
    expect(action.patient.telecom?.[0]?.value).toBe('555ÿ1212'); // \XFF\ is not UTF-8: read as Latin-1
  });

  it('keeps an unknown escape sequence as written and decodes the next one', () => {
    const pid = String.raw`PID|1||P1^^^ADT1^MR||SMITH\Q\JONES\T\CO^ANN`;
    expect(upsert(adtTextToAction(a01WithPid(pid))).patient.name?.[0]?.family).toBe('SMITH\\Q\\JONES&CO');
  });

  it('segments ended by CR, LF or CRLF, blank lines and a BOM all give the same action', () => {
    const expected = upsert(adtTextToAction(cr(A01)));
    for (const text of [
      A01.join('\n'),
      A01.join('\r\n'),
      `\uFEFF${A01.join('\r\n')}\r\n\r\n`,
      A01.join('\n\n'),
    ]) {
      expect(upsert(adtTextToAction(text)).patient).toEqual(expected.patient);
    }
  });

  it('names: repeating with name types, prefixes, degree', () => {
    const pid = 'PID|1||P1^^^ADT1^MR||SMITH^JANE^Q^^DR^MD^L~JONES^JANE^^^^^M~JJ^^^^^^N~ALIAS^JANE^^^^^A';
    const names = upsert(adtTextToAction(a01WithPid(pid))).patient.name ?? [];
    expect(names).toEqual([
      { use: 'official', family: 'SMITH', given: ['JANE', 'Q'], prefix: ['DR'], suffix: ['MD'] },
      { use: 'maiden', family: 'JONES', given: ['JANE'] },
      { use: 'nickname', family: 'JJ' },
      { use: 'usual', family: 'ALIAS', given: ['JANE'] },
    ]);
  });

  it('birth dates at every TS precision; a bad one is a warning, not a lost admission', () => {
    const birth = (ts: string): AdtUpsert =>
      upsert(adtTextToAction(a01WithPid(`PID|1||P1^^^ADT1^MR||DOE^JO||${ts}|F`)));
    expect(birth('1961').patient.birthDate).toBe('1961');
    expect(birth('196106').patient.birthDate).toBe('1961-06');
    expect(birth('19610615').patient.birthDate).toBe('1961-06-15');
    // No offset of its own and none in MSH-7: read as UTC (the default offset).
    expect(birth('196106152330').patient.extension?.[0]?.valueDateTime).toBe('1961-06-15T23:30:00Z');
    expect(birth('196106152330-0500').patient.birthDate).toBe('1961-06-15');
    expect(birth('196106152330-0500').patient.extension?.[0]?.valueDateTime).toBe('1961-06-16T04:30:00Z');
    const bad = birth('19611315');
    expect(bad.patient.birthDate).toBeUndefined();
    expect(bad.warnings).toEqual(['PID-7: "19611315" is not an HL7 date; ignored']);
    expect(birth('19610229').patient.birthDate).toBeUndefined(); // 1961 is not a leap year
  });

  it('times without an offset take MSH-7 offset', () => {
    const lines = [
      A01[0]!.replace('|198808181126|', '|198808181126-0500|'),
      A01[1]!,
      A01[2]!,
      `PV1|1|I|2000^2012^01${'|'.repeat(41)}199501101410`,
    ];
    const action = upsert(adtTextToAction(cr(lines)));
    expect(action.header.messageTime).toBe('1988-08-18T16:26:00Z');
    expect(action.encounter?.period?.start).toBe('1995-01-10T19:10:00Z');
  });

  it('assigning authorities: OID, URI, namespace OID, well-known SSN, local name, none', () => {
    const pid =
      "PID|1||A1^^^&2.16.840.1.113883.19.5&ISO^MR~A2^^^&https://id.example.org/mrn&URI^MR~A3^^^1.2.3.4^PI~A4^^^SSA^SS~A5^^^St. Mary's^MR~A6^^^^PI||DOE^JO";
    const ids = upsert(adtTextToAction(a01WithPid(pid))).patient.identifier ?? [];
    expect(sysValue(ids)).toEqual([
      'urn:oid:2.16.840.1.113883.19.5|A1',
      'https://id.example.org/mrn|A2',
      'urn:oid:1.2.3.4|A3',
      `${SSN}|A4`,
      `${local("St.%20Mary's")}|A5`,
      `${local('GOOD%20HEALTH%20HOSPITAL')}|A6`, // MSH-4, the sending facility
    ]);
    // The explicit SSN in PID-3 wins over PID-19.
    expect(ids.filter((i) => i.system === SSN)).toHaveLength(1);
  });

  it('telecom: email, fax, work, mobile', () => {
    const pid =
      'PID|1||P1^^^ADT1^MR||DOE^JO|||F|||||^PRN^PH^^1^919^5551212~^NET^Internet^jo@example.org|^WPN^FX^^^919^5559999^42';
    expect(upsert(adtTextToAction(a01WithPid(pid))).patient.telecom).toEqual([
      { system: 'phone', value: '+1 (919) 5551212', use: 'home' },
      { system: 'email', value: 'jo@example.org', use: 'home' },
      { system: 'fax', value: '(919) 5559999 x42', use: 'work' },
    ]);
  });

  it('death: PID-29 date/time, else PID-30 indicator', () => {
    const dead = (fields: string): AdtUpsert =>
      upsert(
        adtTextToAction(a01WithPid(`PID|1||P1^^^ADT1^MR||DOE^JO||19400101|M${'|'.repeat(21)}${fields}`)),
      );
    expect(dead('20240102030405+0100|Y').patient.deceasedDateTime).toBe('2024-01-02T02:04:05Z');
    expect(dead('|Y').patient.deceasedBoolean).toBe(true);
    expect(dead('|N').patient.deceasedBoolean).toBe(false);
  });
});

describe('rejections', () => {
  it('an unsupported trigger is AR 201', () => {
    const result = adtTextToAction(
      cr([A01[0]!.replace('ADT^A01^ADT_A01', 'ADT^A05^ADT_A05'), ...A01.slice(1)]),
    );
    expect(result).toEqual({
      ok: false,
      rejection: {
        ackCode: 'AR',
        errorCode: '201',
        reason: 'trigger event A05 is not supported',
        location: { segment: 'MSH', sequence: 1, field: 9 },
      },
    });
  });

  it('a message that is not ADT is AR 200', () => {
    const result = adtTextToAction(cr([A01[0]!.replace('ADT^A01^ADT_A01', 'ORU^R01^ORU_R01'), A01[2]!]));
    expect(result.ok ? undefined : result.rejection).toMatchObject({ ackCode: 'AR', errorCode: '200' });
  });

  it('no PID is AE 100; no PID-3 is AE 101 at PID-3', () => {
    const noPid = adtTextToAction(cr([A01[0]!, A01[1]!, A01[4]!]));
    expect(noPid.ok ? undefined : noPid.rejection).toMatchObject({
      ackCode: 'AE',
      errorCode: '100',
      reason: 'required segment PID is missing',
    });
    const noId = adtTextToAction(a01WithPid('PID|1||||EVERYMAN^ADAM'));
    expect(noId.ok ? undefined : noId.rejection).toEqual({
      ackCode: 'AE',
      errorCode: '101',
      reason: 'PID-3 (patient identifier list) is empty',
      location: { segment: 'PID', sequence: 1, field: 3 },
    });
  });

  it('A40 without MRG, with an empty MRG-1, or merging a patient into itself is AE', () => {
    const noMrg = adtTextToAction(cr(A40.slice(0, 3)));
    expect(noMrg.ok ? undefined : noMrg.rejection).toMatchObject({
      ackCode: 'AE',
      reason: 'PID #1 has no MRG segment',
    });
    const emptyMrg = adtTextToAction(cr([...A40.slice(0, 3), 'MRG|||ACCT1']));
    expect(emptyMrg.ok ? undefined : emptyMrg.rejection).toMatchObject({
      ackCode: 'AE',
      errorCode: '101',
      location: { segment: 'MRG', sequence: 1, field: 1 },
    });
    const self = adtTextToAction(cr([...A40.slice(0, 3), 'MRG|MR1^^^XYZ^MR']));
    expect(self.ok ? undefined : self.rejection).toMatchObject({ ackCode: 'AE', errorCode: '205' });
  });

  it('text that is not HL7 is AR with the reason', () => {
    for (const [text, reason] of [
      ['', 'empty message'],
      ['hello', 'message does not start with an MSH segment'],
      ['MSH|^~', 'MSH segment too short to declare its encoding characters'],
      ['MSH|^^\\&|A', 'MSH declares unusable encoding characters "|^^\\&"'],
      [`${A01[0]!}\rthis is not a segment`, 'line 2 is not an HL7 segment (starts "this is not ")'],
    ] as const) {
      const result = adtTextToAction(text);
      expect(result.ok ? undefined : result.rejection, text).toMatchObject({ ackCode: 'AR', reason });
    }
  });
});
