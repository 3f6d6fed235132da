import type { DetectedIssue, HumanName, Patient, Reference, Task } from '@medplum/fhirtypes';
import type { FhirStore } from '../fhir/store.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import type { Cell, ReportDefinition } from './definition.ts';
import {
  CODING_EDIT_SYSTEM,
  CODING_STATE_SYSTEM,
  CODING_TASK,
  TASK_SYSTEM,
  USER_SYSTEM,
} from './record-terms.ts';

/**
 * The records behind the coding manager's "Finalized" and "Edits overridden" figures: lists, not
 * counts, so a manager following a tile or a coder's bar sees the very cases it counted. They are
 * read through the caller's store (authorised and audited as a search), one page of at most
 * LIST_LIMIT records, oldest first, with the same criteria as coding-productivity and
 * coding-quality.
 */

/** More than a screen can usefully show; the CSV of a longer range is cut here too. */
export const LIST_LIMIT = 500;

const idOf = (ref: Reference | undefined): string | null => {
  const match = /^[A-Za-z]+\/([^/]+)$/.exec(ref?.reference ?? '');
  return match?.[1] ?? null;
};

const nameText = (names: HumanName[] | undefined): string | null => {
  const name = names?.[0];
  if (!name) return null;
  const text = name.text ?? [name.family, (name.given ?? []).join(' ')].filter(Boolean).join(', ');
  return text || null;
};

/** The names of the patients a list names, as the caller may see them (null for the others). */
async function patientNames(
  store: FhirStore,
  ids: Array<string | null>,
): Promise<Map<string, string | null>> {
  const wanted = ids.filter((id): id is string => !!id);
  if (wanted.length === 0) return new Map();
  const patients = (await store.readMany('Patient', wanted)) as Patient[];
  return new Map(patients.map((p) => [p.id ?? '', nameText(p.name)]));
}

const coderCriterion = (param: string, coder: string | undefined): Criterion[] =>
  coder ? [{ param, tokens: [{ system: USER_SYSTEM, code: coder }] }] : [];

export const finalizedCases: ReportDefinition = {
  name: 'coding-finalized',
  title: 'Cases finalized',
  description:
    'The encounters whose coding was made final in the range (the coding work item last changed then), ' +
    `per coder: the records behind coding-productivity's finalized figure, at most ${LIST_LIMIT}.`,
  audience: 'OperationsReport',
  columns: [
    { name: 'finalized', label: 'Finalized', type: 'date' },
    { name: 'coder', label: 'Coder', type: 'text' },
    { name: 'encounter', label: 'Encounter', type: 'text' },
    { name: 'patient', label: 'Patient id', type: 'text' },
    { name: 'patientName', label: 'Patient', type: 'text' },
  ],
  filters: { coder: 'user name of one coder' },
  defaultDays: 29,
  async run({ store }, params) {
    const found = await store.find(
      {
        type: 'Task',
        where: [
          { param: 'code', tokens: [{ system: TASK_SYSTEM, code: CODING_TASK }] },
          { param: 'business-status', tokens: [{ system: CODING_STATE_SYSTEM, code: 'final' }] },
          { param: 'modified', date: params.from, prefix: 'ge' },
          { param: 'modified', date: params.to, prefix: 'le' },
          ...coderCriterion('owner:identifier', params.filters.coder),
        ],
        sort: [{ param: 'modified' }],
        count: LIST_LIMIT,
      },
      // A year of finalized cases is much of every coding Task: read by slices, not probed one by one.
      { broad: true },
    );
    const tasks = found.matches as Task[];
    const names = await patientNames(
      store,
      tasks.map((t) => idOf(t.for)),
    );
    return tasks.map((t): Cell[] => {
      const patient = idOf(t.for);
      return [
        t.lastModified?.slice(0, 10) ?? null,
        t.owner?.identifier?.value ?? null,
        idOf(t.focus),
        patient,
        patient ? (names.get(patient) ?? null) : null,
      ];
    });
  },
};

export const overriddenEdits: ReportDefinition = {
  name: 'coding-overrides',
  title: 'Edits overridden',
  description:
    'Each coding edit overridden with a reason when a case was finalized in the range: the encounter, the codes, ' +
    `the edit kind, the coder and the reason (the records behind coding-quality), at most ${LIST_LIMIT}.`,
  audience: 'OperationsReport',
  columns: [
    { name: 'identified', label: 'Finalized', type: 'date' },
    { name: 'kind', label: 'Edit kind', type: 'text' },
    { name: 'codes', label: 'Codes', type: 'text' },
    { name: 'coder', label: 'Coder', type: 'text' },
    { name: 'reason', label: 'Reason', type: 'text' },
    { name: 'encounter', label: 'Encounter', type: 'text' },
    { name: 'patient', label: 'Patient id', type: 'text' },
    { name: 'patientName', label: 'Patient', type: 'text' },
  ],
  filters: { coder: 'user name of one coder', kind: 'one edit kind (e.g. excludes1)' },
  defaultDays: 29,
  async run({ store }, params) {
    const kind = params.filters.kind;
    const found = await store.find({
      type: 'DetectedIssue',
      where: [
        { param: 'code', tokens: [{ system: CODING_EDIT_SYSTEM, ...(kind ? { code: kind } : {}) }] },
        { param: 'identified', date: params.from, prefix: 'ge' },
        { param: 'identified', date: params.to, prefix: 'le' },
        ...coderCriterion('author:identifier', params.filters.coder),
      ],
      sort: [{ param: 'identified' }],
      count: LIST_LIMIT,
    });
    const issues = found.matches as DetectedIssue[];
    const names = await patientNames(
      store,
      issues.map((i) => idOf(i.patient)),
    );
    return issues.map((issue): Cell[] => {
      const patient = idOf(issue.patient);
      const codes = (issue.evidence ?? []).flatMap((e) =>
        (e.code ?? []).flatMap((c) => (c.coding ?? []).map((coding) => coding.code ?? '')),
      );
      return [
        issue.identifiedDateTime?.slice(0, 10) ?? null,
        issue.code?.coding?.find((c) => c.system === CODING_EDIT_SYSTEM)?.code ?? null,
        codes.filter(Boolean).join(' ') || null,
        issue.author?.identifier?.value ?? null,
        issue.detail ?? null,
        idOf(issue.implicated?.find((r: Reference) => r.reference?.startsWith('Encounter/'))),
        patient,
        patient ? (names.get(patient) ?? null) : null,
      ];
    });
  },
};
