/** Public surface of operations (src/operations/README.md): backup, restore, the local operator. */
export {
  announceServer,
  createOperatorKey,
  findRunningServer,
  withdrawAnnouncement,
  OPERATOR_TOKEN_ID,
  type OperatorKey,
  type RunningServerNote,
} from './operator.ts';
export { registerOperationsRoutes } from './routes.ts';
export { dumpEmbedded, restoreEmbedded, appliedMigrations, type EmbeddedRestore } from './embedded-backup.ts';
export { backupServer, restoreServer, postgresTool } from './server-backup.ts';
export { readBackupHeader, writeWhole, assertRestorable, type BackupHeader } from './backup-file.ts';
export { databaseFingerprint, type Fingerprint } from './fingerprint.ts';
export { callServer, serverJson, type ServerAnswer } from './operator-client.ts';
