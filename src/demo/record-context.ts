import { codeSource, HCPCS, ICD10CM, ICD10PCS } from './codes.ts';
import type { CodeSource, DemoCodes } from './codes.ts';
import { DAY, parseDate } from './time.ts';

/** Everything about a run that does not change from patient to patient. */
export interface RecordContext {
  windowStart: number;
  windowEnd: number;
  lite: boolean;
  cm: CodeSource;
  pcs: CodeSource;
  hcpcs: CodeSource;
  codesLoaded: boolean;
}

export function recordContext(options: {
  startDate?: string;
  years?: number;
  lite?: boolean;
  codes?: DemoCodes;
}): RecordContext {
  const windowStart = parseDate(options.startDate ?? '2022-01-01');
  const windowEnd = windowStart + Math.round((options.years ?? 3) * 365.25) * DAY;
  const codes = options.codes ?? {};
  return {
    windowStart,
    windowEnd,
    lite: options.lite ?? false,
    // External-cause codes (V00-Y99) are never a reason for a visit on their own.
    cm: codeSource(codes.icd10cm, ICD10CM, (code) => !/^[VWXY]/i.test(code)),
    pcs: codeSource(codes.icd10pcs, ICD10PCS),
    hcpcs: codeSource(codes.hcpcs, HCPCS),
    codesLoaded: Boolean(codes.icd10cm?.length || codes.icd10pcs?.length || codes.hcpcs?.length),
  };
}
