import { createHash } from 'node:crypto';
import type {
  Bundle,
  BundleEntry,
  DocumentReference,
  Encounter,
  Procedure,
  Reference,
} from '@medplum/fhirtypes';
import { Rng } from '../demo/index.ts';
import { isSurgical } from './chart-facts.ts';

/**
 * Demo charts in the state real charts are in: the generator writes every note and leaves every
 * one unsigned, and no operative note or consent. Before a demo patient is loaded this brings
 * its charts to where the medical staff would have them on `asOf`: charts discharged months ago
 * complete, recent ones still missing signatures, discharge summaries and operative notes, and a
 * few past the delinquency deadline. Seeded per encounter: the same bundle, seed and date give
 * the same charts.
 */

const DAY = 86_400_000;
/**
 * The demo's visits sit at the same places relative to the first start's date every day, so one
 * seed gives the same picture every day: this one leaves one inpatient chart delinquent among
 * the default 300 demo patients (a rate near 30%, under the accreditation limit).
 */
const DEMO_SEED = 6;
const LOINC = 'http://loinc.org';

interface Completion {
  /** Chance that a note is signed. */
  signed: number;
  /** Chance that a discharge summary has been dictated. */
  summary: number;
  /** Chance that the operative note and the consent are on file. */
  surgical: number;
}

const COMPLETE: Completion = { signed: 1, summary: 1, surgical: 1 };
/** A chart the provider has not finished: several deficiencies left open together. */
const STALE: Completion = { signed: 0.5, summary: 0.6, surgical: 0.6 };

/**
 * How complete a chart is, by days since discharge, drawn once per chart: providers finish
 * whole charts, so the ones left open past 30 days are delinquent with several deficiencies at
 * once. Inpatient stays are few in the demo (a handful a month), so more of them are left open
 * than of visits, or the delinquency view would often be empty.
 */
function completionAt(rng: Rng, daysSinceDischarge: number | undefined, inpatient: boolean): Completion {
  if (daysSinceDischarge === undefined) return { signed: 0.5, summary: 1, surgical: 0.7 };
  if (daysSinceDischarge >= 90) return COMPLETE;
  if (daysSinceDischarge >= 30) return rng.chance(inpatient ? 0.35 : 0.2) ? STALE : COMPLETE;
  if (daysSinceDischarge >= 14) return rng.chance(0.5) ? STALE : COMPLETE;
  if (daysSinceDischarge >= 3) return { signed: 0.35, summary: 0.55, surgical: 0.65 };
  return { signed: 0.15, summary: 0.3, surgical: 0.4 };
}

function hashNumber(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** A stable urn:uuid derived from a name (the loader turns it into the record's id). */
function derivedUrn(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function note(
  code: string,
  display: string,
  text: string,
  at: { subject: Reference; encounter: string; author: Reference | undefined; date: string; signed: boolean },
  related?: string,
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: at.subject.reference ?? '' },
    date: at.date,
    ...(at.author?.reference ? { author: [{ reference: at.author.reference }] } : {}),
    ...(at.signed && at.author?.reference ? { authenticator: { reference: at.author.reference } } : {}),
    description: display,
    content: [
      {
        attachment: {
          contentType: 'text/plain',
          language: 'en-US',
          data: Buffer.from(text, 'utf8').toString('base64'),
          title: display,
          creation: at.date,
        },
      },
    ],
    context: {
      encounter: [{ reference: at.encounter }],
      ...(related ? { related: [{ reference: related }] } : {}),
    },
  };
}

/** Operative note and consent for a surgical procedure, each on file by chance. */
function surgicalNotes(
  rng: Rng,
  entry: BundleEntry & { resource: Procedure },
  encounterUrn: string,
  completion: Completion,
): BundleEntry[] {
  const p = entry.resource;
  const performed = p.performedDateTime ?? p.performedPeriod?.start;
  if (!performed || !p.subject) return [];
  const surgeon = p.performer?.[0]?.actor;
  const name = p.code?.coding?.[0]?.display ?? p.code?.text ?? 'the procedure';
  const out: BundleEntry[] = [];
  const add = (suffix: string, resource: DocumentReference): void => {
    const fullUrl = derivedUrn(`${entry.fullUrl ?? ''}|${suffix}`);
    out.push({ fullUrl, resource, request: { method: 'POST', url: 'DocumentReference' } });
  };
  if (rng.chance(completion.surgical)) {
    const before = new Date(Date.parse(performed) - 2 * 3_600_000).toISOString();
    add(
      'consent',
      note(
        '59284-0',
        'Consent Document',
        `CONSENT FOR PROCEDURE\nProcedure: ${name}\nRisks, benefits and alternatives discussed; patient consents.`,
        {
          subject: p.subject,
          encounter: encounterUrn,
          author: surgeon,
          date: before,
          signed: true,
        },
      ),
    );
  }
  if (rng.chance(completion.surgical)) {
    const after = new Date(Date.parse(performed) + 3 * 3_600_000).toISOString();
    add(
      'operative-note',
      note(
        '11504-8',
        'Surgical operation note',
        `OPERATIVE NOTE\nProcedure: ${name}\nFindings and technique as planned. Estimated blood loss minimal. No complications.`,
        {
          subject: p.subject,
          encounter: encounterUrn,
          author: surgeon,
          date: after,
          signed: rng.chance(completion.signed),
        },
        entry.fullUrl,
      ),
    );
  }
  return out;
}

/** A demo patient's bundle with its charts completed as they would be on `asOf`. */
export function completeDemoCharts(bundle: Bundle, asOf: Date, seed = DEMO_SEED): Bundle {
  const entries = bundle.entry ?? [];
  const encounters = new Map<string, Encounter>();
  for (const e of entries)
    if (e.resource?.resourceType === 'Encounter' && e.fullUrl) encounters.set(e.fullUrl, e.resource);
  const rngs = new Map<string, Rng>();
  const rngOf = (urn: string): Rng => {
    let rng = rngs.get(urn);
    if (!rng) {
      rng = new Rng(seed, hashNumber(urn));
      rngs.set(urn, rng);
    }
    return rng;
  };
  const completions = new Map<string, Completion>();
  const completionOf = (urn: string): Completion => {
    let completion = completions.get(urn);
    if (!completion) {
      const end = encounters.get(urn)?.period?.end;
      const finished = encounters.get(urn)?.status === 'finished' && end;
      const days = finished ? Math.floor((asOf.getTime() - Date.parse(end)) / DAY) : undefined;
      completion = completionAt(rngOf(urn), days, encounters.get(urn)?.class.code === 'IMP');
      completions.set(urn, completion);
    }
    return completion;
  };
  const out: BundleEntry[] = [];
  for (const e of entries) {
    const r = e.resource;
    if (r?.resourceType === 'DocumentReference') {
      const urn = r.context?.encounter?.[0]?.reference ?? '';
      const completion = completionOf(urn);
      const rng = rngOf(urn);
      const isSummary = r.type?.coding?.some((c) => c.code === '18842-5') ?? false;
      // A discharge summary not yet dictated is not in the chart at all.
      if (isSummary && !rng.chance(completion.summary)) continue;
      const author = r.author?.[0];
      const signed: DocumentReference | undefined =
        author?.reference && rng.chance(completion.signed)
          ? {
              ...r,
              authenticator: {
                reference: author.reference,
                ...(author.display ? { display: author.display } : {}),
              },
            }
          : undefined;
      out.push(signed ? { ...e, resource: signed } : e);
      continue;
    }
    out.push(e);
    if (r?.resourceType === 'Procedure' && isSurgical(r)) {
      const urn = r.encounter?.reference ?? '';
      if (encounters.get(urn)?.class.code === 'IMP')
        out.push(
          ...surgicalNotes(rngOf(urn), e as BundleEntry & { resource: Procedure }, urn, completionOf(urn)),
        );
    }
  }
  return { ...bundle, entry: out };
}
