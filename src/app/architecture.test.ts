import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The rules of ARCHITECTURE.md (../shared/ARCHITECTURE.md) that a machine can check (issue #13,
 * items 3 and 5):
 * 1. only src/fhir and src/db name the store's tables; every other module goes through the
 *    store's API (tests included: they should test what callers can do);
 * 2. the web application imports types from the server, never its runtime, except the pure
 *    tables in src/shared (whose files import nothing else at run time);
 * 3. no import cycle between files, nor between the top-level folders of src/.
 *
 * Cycle rule: every import counts, `import type` included. A cycle made of types is still two
 * files (or modules) that cannot be read, tested or moved one without the other, and it turns
 * into a load-order cycle the day someone adds a value import; the cycles the issue names in
 * src/demo were all of that kind. `import()` counts too: loading lazily hides a cycle, it does
 * not remove it. The folder graph leaves out tests and src/testing, which sit above every module
 * and compose them (a test in src/db that runs the CLI does not make db depend on cli).
 */

/**
 * Today's violations, which their owners are removing (issue #13). The test fails on any
 * violation missing here AND on any entry here that no longer happens, so this list only
 * shrinks: whoever removes a violation deletes its line in the same commit.
 */
const KNOWN_VIOLATIONS = {
  /** `file: table` (rule 1). */
  storeTables: [
    // Auth and start-up checks that a Patient exists / any Patient exists.
    'src/app/first-start.ts: fhir_resource',
    'src/auth/break-glass.ts: fhir_resource',
    // The patient finder's own search SQL over the index tables (src/chart is being rewritten).
    'src/chart/patient-finder.ts: fhir_resource',
    'src/chart/patient-finder.ts: search_date',
    'src/chart/patient-finder.ts: search_string',
    'src/chart/patient-finder.ts: search_token',
    // src/mpi: duplicate scoring, worklist, merge and $match read Patients by SQL.
    'src/mpi/duplicates/model-store.ts: fhir_resource',
    'src/mpi/duplicates/not-duplicate.ts: fhir_resource',
    'src/mpi/duplicates/review-tasks.ts: fhir_resource',
    'src/mpi/duplicates/scoring.test.ts: fhir_resource',
    'src/mpi/duplicates/scoring.ts: fhir_resource',
    'src/mpi/duplicates/worklist.ts: fhir_resource',
    'src/mpi/match-operation.ts: fhir_resource',
    'src/mpi/merge.test.ts: fhir_resource',
    'src/mpi/merge.ts: fhir_resource',
    // Tests that count stored versions with SQL instead of asking the store.
    'src/bulk/synthea.test.ts: fhir_resource_version',
    'src/cli/cli.test.ts: fhir_resource_version',
    // Test helper of the store's own search tests (only src/fhir uses it): belongs in src/fhir.
    'src/testing/search-fixtures.ts: fhir_resource',
    // Loads a million Patients straight into the table to time matching, not the store.
    'bench/mpi-match.bench.ts: fhir_resource',
  ],
  /** `web file -> imported server file` (rule 2). */
  webImports: [] as string[],
  /** `a -> b -> a`, starting at the smallest name (rule 3). */
  fileCycles: [
    // Search filter types and composite parsing (src/fhir/search is being rewritten by its owners).
    'src/fhir/search/composite.ts -> src/fhir/search/parse-values.ts -> src/fhir/search/types.ts -> src/fhir/search/composite.ts',
    'src/fhir/search/composite.ts -> src/fhir/search/types.ts -> src/fhir/search/composite.ts',
  ],
  folderCycles: [
    // src/app/first-start.ts builds its context with src/cli/context.ts (cli runs the app).
    'app -> cli -> app',
    // auth -> audit: auth/routes.ts still imports the audit trail from src/audit (it moved to
    // src/fhir). audit -> auth: the break-the-glass review routes sit in src/audit. fhir <-> auth:
    // the store checks access with auth's RequestContext, auth answers with fhir's
    // OperationOutcome errors. Being untangled by the owners of src/fhir, src/audit and src/auth.
    'audit -> auth -> audit',
    'audit -> fhir -> auth -> audit',
    'auth -> fhir -> auth',
  ],
};

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The web application's only value import from the server. */
const SHARED = 'src/shared/index.ts';
const STORE_TABLE_EXEMPT = new Set([
  // Times the store's read, search and import against raw SQL over the same tables: that SQL is
  // the baseline it measures.
  'bench/store.bench.ts',
  // This file, which names the tables in KNOWN_VIOLATIONS.
  'src/app/architecture.test.ts',
]);

interface Import {
  /** Repository-relative path of the imported file, or the package name ('node:fs', 'react'). */
  target: string;
  /** A file of this repository (a relative specifier). */
  local: boolean;
  /** `import type` / `export type`: erased at build time. `import { type A }` is not: under
   * verbatimModuleSyntax it stays an `import {} from` that loads the module. */
  typeOnly: boolean;
}

interface SourceFile {
  path: string;
  imports: Import[];
  /** The text of every string and template literal (where SQL lives; comments do not count). */
  literals: string[];
}

function listFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') listFiles(path, out);
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

function resolveImport(from: string, specifier: string): string {
  const target = relative(ROOT, resolve(ROOT, dirname(from), specifier))
    .split('\\')
    .join('/');
  const full = join(ROOT, target);
  return existsSync(full) && statSync(full).isDirectory() ? `${target}/index.ts` : target;
}

function parse(path: string): SourceFile {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
  const imports: Import[] = [];
  const literals: string[] = [];
  const add = (specifier: ts.Node | undefined, typeOnly: boolean): void => {
    if (!specifier || !ts.isStringLiteral(specifier)) return;
    const local = specifier.text.startsWith('.');
    imports.push({ target: local ? resolveImport(path, specifier.text) : specifier.text, local, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
      return;
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isStringLiteralLike(node)) {
      literals.push(node.text);
    } else if (ts.isTemplateExpression(node)) {
      literals.push(node.head.text + node.templateSpans.map((s) => `\${…}${s.literal.text}`).join(''));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { path, imports, literals };
}

const FILES: SourceFile[] = ['src', 'web', 'bench'].flatMap((dir) => listFiles(dir)).map(parse);

/** Tables and views the store's migrations (00xx; other modules number theirs from 0100) create. */
function storeTables(): string[] {
  const dir = join(ROOT, 'src/db/migrations');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => /^00\d\d_.*\.sql$/.test(f))) {
    const sql = readFileSync(join(dir, file), 'utf8');
    const re =
      /\bCREATE\s+(?:UNLOGGED\s+)?(?:MATERIALIZED\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi;
    for (const m of sql.matchAll(re)) if (m[1]) names.add(m[1].toLowerCase());
  }
  return [...names].sort();
}

function storeTableViolations(): string[] {
  const tables = storeTables();
  // Longest first, so fhir_resource_history is not reported as fhir_resource; `search_${…}` and
  // 'search_' + kind catch an index table whose name is put together at run time.
  const names = [...tables].sort((a, b) => b.length - a.length);
  const re = new RegExp(`\\b(${names.join('|')})\\b|\\b(search_)(?=\\$\\{|$)`, 'g');
  const found = new Set<string>();
  for (const f of FILES) {
    if (/^src\/(fhir|db)\//.test(f.path) || STORE_TABLE_EXEMPT.has(f.path)) continue;
    for (const text of f.literals) {
      for (const m of text.matchAll(re)) found.add(`${f.path}: ${m[1] ?? `${m[2] ?? ''}*`}`);
    }
  }
  return [...found].sort();
}

/**
 * Value imports of server code from the browser bundle (web/src). web/tests and
 * web/vite.config.ts run in Node (they start the server, build the bundle) and may import it.
 */
function webImportViolations(): string[] {
  const found: string[] = [];
  for (const f of FILES.filter((file) => file.path.startsWith('web/src/'))) {
    for (const i of f.imports) {
      if (i.local && !i.target.startsWith('web/') && !i.typeOnly && i.target !== SHARED) {
        found.push(`${f.path} -> ${i.target}`);
      }
    }
  }
  return found.sort();
}

/** src/shared goes into the browser bundle: at run time its files load each other only. */
function sharedImportViolations(): string[] {
  return FILES.filter((f) => f.path.startsWith('src/shared/'))
    .flatMap((f) =>
      f.imports
        .filter((i) => !i.typeOnly && !i.target.startsWith('src/shared/'))
        .map((i) => `${f.path} -> ${i.target}`),
    )
    .sort();
}

type Graph = Map<string, Set<string>>;

function addEdge(graph: Graph, from: string, to: string): void {
  if (from === to) return;
  let targets = graph.get(from);
  if (!targets) graph.set(from, (targets = new Set()));
  targets.add(to);
}

/** Strongly connected components with more than one node (Tarjan): where the cycles are. */
function tangles(graph: Graph): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Set<string>[] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.add(member);
    } while (member !== node);
    if (component.size > 1) found.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return found;
}

/**
 * Every elementary cycle, each written once: from its smallest node, around, back to it. The
 * search stays inside one tangle and, from `start`, visits only nodes greater than `start`, so
 * each cycle is found from its smallest node alone. MAX_CYCLES keeps a big tangle from hanging
 * the test (the first MAX_CYCLES are reported, which is enough to fail it).
 */
function cycles(graph: Graph): string[] {
  const MAX_CYCLES = 1000;
  const found: string[] = [];
  for (const tangle of tangles(graph)) {
    for (const start of [...tangle].sort()) {
      const path = [start];
      const walk = (node: string): void => {
        for (const next of [...(graph.get(node) ?? [])].filter((n) => tangle.has(n)).sort()) {
          if (found.length >= MAX_CYCLES) return;
          if (next === start) found.push([...path, start].join(' -> '));
          else if (next > start && !path.includes(next)) {
            path.push(next);
            walk(next);
            path.pop();
          }
        }
      };
      walk(start);
    }
  }
  return found.sort();
}

function fileCycles(): string[] {
  const graph: Graph = new Map();
  for (const f of FILES) for (const i of f.imports) if (i.local) addEdge(graph, f.path, i.target);
  return cycles(graph);
}

function folderCycles(): string[] {
  const graph: Graph = new Map();
  const folderOf = (path: string): string | undefined => /^src\/([^/]+)\//.exec(path)?.[1];
  for (const f of FILES) {
    const from = folderOf(f.path);
    if (!from || from === 'testing' || /\.test\.tsx?$/.test(f.path)) continue;
    for (const i of f.imports) {
      const to = i.local ? folderOf(i.target) : undefined;
      if (to) addEdge(graph, from, to);
    }
  }
  return cycles(graph);
}

/** What is found and not allowed, and what is allowed and no longer found. */
function compare(found: string[], known: readonly string[]): { new: string[]; gone: string[] } {
  return {
    new: found.filter((v) => !known.includes(v)),
    gone: known.filter((v) => !found.includes(v)),
  };
}

const FIX = "'new': remove the violation (ARCHITECTURE.md). 'gone': delete its line from KNOWN_VIOLATIONS.";

describe('architecture', () => {
  it('reads the store tables from the store migrations', () => {
    const tables = storeTables();
    expect(tables).toContain('fhir_resource');
    expect(tables).toContain('fhir_resource_history');
    expect(tables.filter((t) => t.startsWith('search_')).length).toBeGreaterThan(0);
  });

  it('names the store tables only in src/fhir and src/db', () => {
    expect(compare(storeTableViolations(), KNOWN_VIOLATIONS.storeTables), FIX).toEqual({
      new: [],
      gone: [],
    });
  });

  it('the web application imports server types only, values only from src/shared', () => {
    expect(compare(webImportViolations(), KNOWN_VIOLATIONS.webImports), FIX).toEqual({
      new: [],
      gone: [],
    });
    expect(sharedImportViolations(), 'src/shared may load only src/shared at run time').toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(compare(fileCycles(), KNOWN_VIOLATIONS.fileCycles), FIX).toEqual({ new: [], gone: [] });
  });

  it('has no import cycle between the folders of src/', () => {
    expect(compare(folderCycles(), KNOWN_VIOLATIONS.folderCycles), FIX).toEqual({ new: [], gone: [] });
  });
});
