import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest } from '../fhir/outcomes.ts';
import { itemById, type ItemValues } from './naaccr-items.ts';

/**
 * NAACCR XML (specification 1.7, base dictionary of NAACCR version 25): one `NaaccrData`
 * document in the http://naaccr.org/naaccrxml namespace, `Patient` elements holding their
 * `Item naaccrId=...` and `Tumor` elements. Built and read with fast-xml-parser, never by hand.
 */

export const NAACCR_NAMESPACE = 'http://naaccr.org/naaccrxml';
export const BASE_DICTIONARY_URI = 'http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml';
export const SPECIFICATION_VERSION = '1.7';

export interface NaaccrPatient {
  items: ItemValues;
  tumors: ItemValues[];
}

export interface NaaccrDocument {
  /** A: full case abstracts. */
  recordType: string;
  baseDictionaryUri: string;
  timeGenerated?: string | undefined;
  patients: NaaccrPatient[];
}

interface XmlItem {
  '@_naaccrId': string;
  '@_naaccrNum'?: string;
  '#text'?: string;
}

/** Items in dictionary order where known (by item number), the rest after them by id. */
function xmlItems(values: ItemValues): XmlItem[] {
  return Object.entries(values)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (itemById(a)?.number ?? 1e9) - (itemById(b)?.number ?? 1e9) || a.localeCompare(b))
    .map(([id, value]) => {
      const num = itemById(id)?.number;
      return { '@_naaccrId': id, ...(num ? { '@_naaccrNum': String(num) } : {}), '#text': value };
    });
}

export function buildNaaccrXml(doc: NaaccrDocument): string {
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
  });
  const body = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    NaaccrData: {
      '@_baseDictionaryUri': doc.baseDictionaryUri,
      '@_recordType': doc.recordType,
      '@_specificationVersion': SPECIFICATION_VERSION,
      ...(doc.timeGenerated ? { '@_timeGenerated': doc.timeGenerated } : {}),
      '@_xmlns': NAACCR_NAMESPACE,
      Patient: doc.patients.map((p) => ({
        Item: xmlItems(p.items),
        Tumor: p.tumors.map((t) => ({ Item: xmlItems(t) })),
      })),
    },
  };
  return String(builder.build(body));
}

type Parsed = Record<string, unknown>;

function list(value: unknown): Parsed[] {
  return Array.isArray(value) ? (value as Parsed[]) : [];
}

function itemsOf(element: Parsed): ItemValues {
  const values: ItemValues = {};
  for (const item of list(element.Item)) {
    const id = item['@_naaccrId'];
    if (typeof id !== 'string' || id === '') throw badRequest('Every Item must have a naaccrId attribute');
    const text = item['#text'];
    values[id] = typeof text === 'string' ? text : typeof text === 'number' ? String(text) : '';
  }
  return values;
}

/** Reads a NAACCR XML document; malformed XML, another root or namespace is a 400. */
export function parseNaaccrXml(text: string): NaaccrDocument {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badRequest(`Not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    isArray: (name) => name === 'Patient' || name === 'Tumor' || name === 'Item',
  });
  const parsed = parser.parse(text) as Parsed;
  const root = parsed.NaaccrData as Parsed | undefined;
  if (!root || typeof root !== 'object') throw badRequest('The root element must be NaaccrData');
  if (root['@_xmlns'] !== NAACCR_NAMESPACE)
    throw badRequest(`NaaccrData must be in the ${NAACCR_NAMESPACE} namespace`);
  const baseDictionaryUri = root['@_baseDictionaryUri'];
  const recordType = root['@_recordType'];
  if (typeof baseDictionaryUri !== 'string' || typeof recordType !== 'string')
    throw badRequest('NaaccrData needs the baseDictionaryUri and recordType attributes');
  const time = root['@_timeGenerated'];
  return {
    recordType,
    baseDictionaryUri,
    timeGenerated: typeof time === 'string' ? time : undefined,
    patients: list(root.Patient).map((p) => ({ items: itemsOf(p), tumors: list(p.Tumor).map(itemsOf) })),
  };
}
