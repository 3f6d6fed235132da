/**
 * The access vocabulary the server and the web application share: actions a route may declare,
 * roles, and purposes of use. Pure data (`as const` lists with derived union types).
 */
export const ACTIONS = [
  'read',
  'search',
  'create',
  'update',
  'delete',
  'export',
  'disclose',
  'merge',
] as const;
export type Action = (typeof ACTIONS)[number];

export const ROLES = [
  'him-technician',
  'coder',
  'provider',
  'cancer-registrar',
  'roi-specialist',
  'privacy-officer',
  'him-director',
  'admin',
  'auditor',
  'system',
  /** A patient reading their own records (a user linked to a Patient resource). */
  'patient',
] as const;
export type Role = (typeof ROLES)[number];

/** HL7 v3 PurposeOfUse codes a request may carry. */
export const PURPOSES = [
  'TREAT',
  'HPAYMT',
  'HOPERAT',
  'PATRQT',
  'HLEGAL',
  'HRESCH',
  'PUBHLTH',
  'HSYSADMIN',
  'ETREAT',
] as const;
export type Purpose = (typeof PURPOSES)[number];
