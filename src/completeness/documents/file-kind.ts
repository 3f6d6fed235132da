import { fileTypeFromBuffer } from 'file-type';

/**
 * Which kind of document a file is, judged by its content (magic bytes, via file-type), never by
 * its name or the type the sender declared: a PNG named scan.pdf is a PNG.
 */
export const ACCEPTED_TYPES = ['application/pdf', 'image/tiff', 'image/png', 'image/jpeg'] as const;
export type DocumentMime = (typeof ACCEPTED_TYPES)[number];

/** The accepted type the content is, or undefined for anything else. */
export async function documentMime(content: Uint8Array): Promise<DocumentMime | undefined> {
  const found = await fileTypeFromBuffer(content);
  return ACCEPTED_TYPES.find((t) => t === found?.mime);
}

const EXTENSIONS: Readonly<Record<string, DocumentMime>> = {
  pdf: 'application/pdf',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

/** Declarations that say nothing about the content. */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * How the sender labelled the file, where the label contradicts the content: a declared media
 * type other than the content's, or a document extension (.pdf, .png ...) of another type.
 * Undefined when the labels agree with the content or say nothing.
 */
export function mislabel(
  content: DocumentMime,
  declared: { mimetype?: string | undefined; filename?: string | undefined },
): string | undefined {
  const mime = (declared.mimetype ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!UNDECLARED.has(mime) && mime !== content) return `declared as ${mime}`;
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(declared.filename ?? '')?.[1]?.toLowerCase();
  const byName = ext ? EXTENSIONS[ext] : undefined;
  if (byName && byName !== content) return `named ${declared.filename ?? ''}`;
  return undefined;
}
