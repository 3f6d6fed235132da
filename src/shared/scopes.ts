import type { Action } from './vocabulary.ts';

/**
 * SMART on FHIR scopes (App Launch 2.x, with the 1.x forms it still accepts): parsed once when a
 * token is issued, then judged on every request beside the role. A scope only ever narrows what
 * the role allows: `isAllowed(role) && scopesAllow(scopes)`. Pure, so the consent screen can
 * describe the same scopes the server enforces.
 */

export const SCOPE_CONTEXTS = ['patient', 'user', 'system'] as const;
export type ScopeContext = (typeof SCOPE_CONTEXTS)[number];

/** SMART v2 permissions: create, read, update, delete, search. */
export type ScopePermission = 'c' | 'r' | 'u' | 'd' | 's';
const PERMISSION_ORDER: readonly ScopePermission[] = ['c', 'r', 'u', 'd', 's'];

export interface ResourceScope {
  context: ScopeContext;
  /** A FHIR resource type, or '*' for every one. */
  resourceType: string;
  permissions: readonly ScopePermission[];
  /** The scope as it was asked for. */
  text: string;
}

export interface ScopeSet {
  resources: ResourceScope[];
  /** `launch`: the app was started from the EHR and asks for its context. */
  launch: boolean;
  /** `launch/patient`: the app needs a patient chosen (standalone launch). */
  launchPatient: boolean;
  openid: boolean;
  fhirUser: boolean;
  /** `offline_access` or `online_access`: a refresh token is issued. */
  refresh: boolean;
  /** Scopes this server does not grant (unknown, or v2 scopes with a query): dropped. */
  ignored: string[];
}

const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Z][A-Za-z]+|\*)\.([a-z*]+)$/;

/** `read` (v1) -> rs, `write` -> cud, `*` -> cruds, a v2 string in c-r-u-d-s order as it is. */
function permissionsOf(text: string): ScopePermission[] | undefined {
  if (text === 'read') return ['r', 's'];
  if (text === 'write') return ['c', 'u', 'd'];
  if (text === '*') return [...PERMISSION_ORDER];
  // v2: letters in the order c r u d s, each at most once.
  const letters = [...text];
  let last = -1;
  for (const letter of letters) {
    const at = PERMISSION_ORDER.indexOf(letter as ScopePermission);
    if (at <= last) return undefined;
    last = at;
  }
  return letters.length > 0 ? (letters as ScopePermission[]) : undefined;
}

export function parseResourceScope(text: string): ResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(text);
  if (!m) return undefined;
  const permissions = permissionsOf(m[3] ?? '');
  if (!permissions) return undefined;
  return { context: m[1] as ScopeContext, resourceType: m[2] ?? '', permissions, text };
}

/** Parses a space-separated scope string; unknown scopes are listed in `ignored`. */
export function parseScopes(text: string): ScopeSet {
  const set: ScopeSet = {
    resources: [],
    launch: false,
    launchPatient: false,
    openid: false,
    fhirUser: false,
    refresh: false,
    ignored: [],
  };
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (word === 'launch') set.launch = true;
    else if (word === 'launch/patient') set.launchPatient = true;
    else if (word === 'openid') set.openid = true;
    else if (word === 'fhirUser') set.fhirUser = true;
    else if (word === 'offline_access' || word === 'online_access') set.refresh = true;
    else {
      const scope = parseResourceScope(word);
      if (scope) set.resources.push(scope);
      else set.ignored.push(word);
    }
  }
  return set;
}

/** The granted scope string (what the token answer and introspection say). */
export function scopeText(set: ScopeSet): string {
  const words = [
    ...(set.launch ? ['launch'] : []),
    ...(set.launchPatient ? ['launch/patient'] : []),
    ...(set.openid ? ['openid'] : []),
    ...(set.fhirUser ? ['fhirUser'] : []),
    ...(set.refresh ? ['offline_access'] : []),
    ...set.resources.map((r) => r.text),
  ];
  return words.join(' ');
}

/**
 * The permission an action needs. Export reads; a merge changes records. Disclosure (release of
 * information) is staff work no app scope grants.
 */
export function permissionFor(action: Action): ScopePermission | undefined {
  switch (action) {
    case 'read':
    case 'export':
      return 'r';
    case 'search':
      return 's';
    case 'create':
      return 'c';
    case 'update':
    case 'merge':
      return 'u';
    case 'delete':
      return 'd';
    case 'disclose':
      return undefined;
  }
}

/** Whether some scope grants `action` on `resourceType` (a FHIR resource type). */
export function scopesAllow(scopes: readonly ResourceScope[], resourceType: string, action: Action): boolean {
  const needed = permissionFor(action);
  if (!needed) return false;
  return scopes.some(
    (s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.permissions.includes(needed),
  );
}

/** Whether the scopes reach every resource type for reading (then includes cannot widen them). */
export function scopesReadAll(scopes: readonly ResourceScope[]): boolean {
  return scopes.some((s) => s.resourceType === '*' && s.permissions.includes('r'));
}

const PERMISSION_WORDS: Record<ScopePermission, string> = {
  c: 'create',
  r: 'read',
  u: 'update',
  d: 'delete',
  s: 'search',
};

/** A scope in words, for the consent screen: "read and search your Observation records". */
export function describeScope(scope: ResourceScope): string {
  const verbs = scope.permissions.map((p) => PERMISSION_WORDS[p]);
  const list = verbs.length > 1 ? `${verbs.slice(0, -1).join(', ')} and ${verbs.at(-1) ?? ''}` : verbs[0];
  const what = scope.resourceType === '*' ? 'all records' : `${scope.resourceType} records`;
  const whose =
    scope.context === 'patient'
      ? "in the patient's chart"
      : scope.context === 'user'
        ? 'you may see'
        : 'of the whole system';
  return `${list ?? ''} ${what} ${whose}`;
}
