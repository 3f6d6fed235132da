import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';

/** The release files the loader recognises, by the names CMS/NCHS publish them under. */
export type ReleaseKind =
  | 'icd10cm-order'
  | 'icd10cm-codes'
  | 'icd10cm-tabular'
  | 'icd10pcs-order'
  | 'icd10pcs-codes'
  | 'hcpcs-zip'
  | 'hcpcs-text'
  | 'simple';

export interface ReleaseFile {
  path: string;
  kind: ReleaseKind;
  /** Year from the file name: fiscal year for ICD-10, calendar year for HCPCS; null for simple files. */
  year: string | null;
}

const PATTERNS: ReadonlyArray<readonly [ReleaseKind, RegExp]> = [
  ['icd10cm-order', /icd10cm[_-]order[_-](?:.*?[_-])?(\d{4})\b.*\.txt(\.gz)?$/i],
  ['icd10cm-tabular', /icd10cm[_-]tabular[_-](?:.*?[_-])?(\d{4})\b.*\.xml(\.gz)?$/i],
  ['icd10pcs-order', /icd10pcs[_-]order[_-](?:.*?[_-])?(\d{4})\b.*\.txt(\.gz)?$/i],
  ['icd10cm-codes', /icd10cm[_-]codes[_-](?:.*?[_-])?(\d{4})\b.*\.txt(\.gz)?$/i],
  ['icd10pcs-codes', /icd10pcs[_-]codes[_-](?:.*?[_-])?(\d{4})\b.*\.txt(\.gz)?$/i],
  ['hcpcs-zip', /(\d{4})[_-]?alpha[_-]?numeric[_-]?hcpcs.*\.zip$/i],
  ['hcpcs-zip', /hcpc(\d{4}).*\.zip$/i],
  ['hcpcs-text', /hcpc(\d{4})_.*anweb.*\.txt(\.gz)?$/i],
  ['simple', /\.codes\.tsv(\.gz)?$/i],
];

export function classify(path: string): ReleaseFile | undefined {
  const name = basename(path);
  for (const [kind, pattern] of PATTERNS) {
    const m = pattern.exec(name);
    if (m) return { path, kind, year: kind === 'simple' ? null : (m[1] ?? null) };
  }
  return undefined;
}

/** Finds release files under a folder (recursively) or takes one file; unknown files are reported as skipped. */
export async function findReleaseFiles(path: string): Promise<{ files: ReleaseFile[]; skipped: string[] }> {
  const info = await stat(path);
  const candidates = info.isDirectory() ? await walk(path) : [path];
  const files: ReleaseFile[] = [];
  const skipped: string[] = [];
  for (const candidate of candidates) {
    const found = classify(candidate);
    if (found) files.push(found);
    else if (!info.isDirectory()) skipped.push(candidate);
    else if (!/readme|\.md$/i.test(basename(candidate))) skipped.push(candidate);
  }
  // Entries before notes is not required, but a stable order keeps reports readable.
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, skipped };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

export interface FileBytes {
  sha256: string;
  /** The bytes of the release itself: gunzipped, or the record file taken out of a zip. */
  content: Buffer;
}

export async function readRelease(file: ReleaseFile): Promise<FileBytes> {
  const raw = await readFile(file.path);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  if (file.kind === 'hcpcs-zip') return { sha256, content: await readZipEntry(raw, /anweb.*\.txt$/i) };
  const content = /\.gz$/i.test(file.path) ? gunzipSync(raw) : raw;
  return { sha256, content };
}

/** CMS text files are Windows-1252 (e.g. the ® in the HCPCS disclaimer); XML and simple files are UTF-8. */
export function decode(content: Buffer, kind: ReleaseKind): string {
  const encoding = kind === 'icd10cm-tabular' || kind === 'simple' ? 'utf-8' : 'windows-1252';
  return new TextDecoder(encoding).decode(content);
}

function readZipEntry(zip: Buffer, name: RegExp): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, archive) => {
      if (err) return reject(err);
      let found = false;
      archive.on('entry', (entry: yauzl.Entry) => {
        if (!name.test(entry.fileName)) return archive.readEntry();
        found = true;
        archive.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            archive.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      archive.on('end', () => {
        if (!found) reject(new Error(`No file matching ${String(name)} in the zip`));
      });
      archive.on('error', reject);
      archive.readEntry();
    });
  });
}
