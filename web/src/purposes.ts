import { PURPOSES, type Purpose } from '../../src/shared/index.ts';

/** HL7 v3 PurposeOfUse codes in words, for the login form and the header. */
export const PURPOSE_LABELS: Record<Purpose, string> = {
  TREAT: 'Treatment',
  HPAYMT: 'Payment',
  HOPERAT: 'Health care operations',
  PATRQT: 'Patient request',
  HLEGAL: 'Legal',
  HRESCH: 'Research',
  PUBHLTH: 'Public health',
  HSYSADMIN: 'System administration',
  ETREAT: 'Emergency treatment',
};

/** Purposes a user may choose at sign-in; emergency access is granted by breaking the glass. */
export const LOGIN_PURPOSES: Purpose[] = PURPOSES.filter((p) => p !== 'ETREAT');

/** HIM work is health care operations unless the user says otherwise. */
export const DEFAULT_PURPOSE: Purpose = 'HOPERAT';
