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

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The web application's only value import from the server. */
const SHARED = 'src/shared/index.ts';
const STORE_TABLE_EXEMPT = new Set([
  // Times the store's read, search and import against raw SQL over the same tables: that SQL is
  // the baseline it measures.
  'bench/store.bench.ts',
  // Loads up to a million bare Patient rows to time matching alone: through the store the load,
  // not the matching, would be the hours of the run.
  'bench/mpi-match.bench.ts',
  // Checks the whole schema against Citus' rules; its list of known breaches names the store's
  // tables whose primary keys still lack patient_id (docs/scaling.md), a list that may only shrink.
  'src/operations/citus-rules.test.ts',
  // This file.
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
const FIX =
  'Each line names a rule broken (see ARCHITECTURE.md): go through the store API, import types only, or break the cycle.';

describe('architecture', () => {
  it('reads the store tables from the store migrations', () => {
    const tables = storeTables();
    expect(tables).toContain('fhir_resource');
    expect(tables).toContain('fhir_resource_history');
    expect(tables.filter((t) => t.startsWith('search_')).length).toBeGreaterThan(0);
  });

  it('names the store tables only in src/fhir and src/db', () => {
    expect(storeTableViolations(), FIX).toEqual([]);
  });

  it('the web application imports server types only, values only from src/shared', () => {
    expect(webImportViolations(), FIX).toEqual([]);
    expect(sharedImportViolations(), 'src/shared may load only src/shared at run time').toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(fileCycles(), FIX).toEqual([]);
  });

  it('has no import cycle between the folders of src/', () => {
    expect(folderCycles(), FIX).toEqual([]);
  });
});
