// Worker threads start without the TypeScript loader the main thread runs under; register it,
// then load the worker itself (see validation-pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./validation-worker.ts');
