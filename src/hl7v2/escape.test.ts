import { describe, expect, it } from 'vitest';
import { decodeHl7Text, encodeHl7Text } from './escape.ts';

describe('HL7 escape sequences', () => {
  it('decodes each delimiter escape', () => {
    expect(decodeHl7Text(String.raw`a\F\b\S\c\T\d\R\e\E\f`)).toBe('a|b^c&d~e\\f');
  });

  it('decodes hex data as UTF-8, else Latin-1, and line breaks', () => {
    expect(decodeHl7Text(String.raw`Z\XC3BC\rich`)).toBe('Zürich');
    expect(decodeHl7Text(String.raw`M\XFC\nchen`)).toBe('München');
    expect(decodeHl7Text(String.raw`line1\.br\line2\.sp2\x`)).toBe('line1\nline2\n\nx');
  });

  it('drops highlighting and character-set switches, keeps unknown sequences and lone escapes', () => {
    expect(decodeHl7Text('\\H\\BOLD\\N\\ text\\C2842\\')).toBe('BOLD text');
    expect(decodeHl7Text(String.raw`C:\temp\file`)).toBe(String.raw`C:\temp\file`);
    expect(decodeHl7Text(String.raw`trailing \ `)).toBe(String.raw`trailing \ `);
  });

  it('uses the delimiters the message declares', () => {
    const d = { field: '#', component: '$', repetition: '*', escape: '!', subcomponent: '%' };
    expect(decodeHl7Text('a!F!b!T!c!E!', d)).toBe('a#b%c!');
    expect(encodeHl7Text('a#b%c!', d)).toBe('a!F!b!T!c!E!');
  });

  it('encodes so that decoding gives the text back', () => {
    const text = 'O&NEIL | A^B ~ C \\ D\nnext';
    const encoded = encodeHl7Text(text);
    expect(encoded).toBe(String.raw`O\T\NEIL \F\ A\S\B \R\ C \E\ D\.br\next`);
    expect(decodeHl7Text(encoded)).toBe(text);
  });
});
