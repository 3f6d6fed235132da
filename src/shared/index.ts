// The pure tables the server and the web application share (src/shared/README.md). Nothing here
// may import node, the database or any other server module: the browser bundle includes it.
export { ACTIONS, PURPOSES, ROLES } from './vocabulary.ts';
export type { Action, Purpose, Role } from './vocabulary.ts';
export { deniedLabelsFor, isAllowed } from './policy.ts';
export { medicalRecordNumber } from './identifiers.ts';
