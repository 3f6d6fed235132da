import PDFDocument from 'pdfkit';

/**
 * The PDF pieces release packets and accountings share (pdfkit, standard fonts, US Letter):
 * a document whose pages are kept until the end, so every page can be stamped with its number,
 * the total, and the lines that identify the packet.
 */

export type Pdf = PDFKit.PDFDocument;

export const MARGIN = 54;

export function newPdf(title: string): { doc: Pdf; done: () => Promise<Buffer> } {
  const doc = new PDFDocument({
    size: 'LETTER',
    bufferPages: true,
    margins: { top: MARGIN + 18, bottom: MARGIN + 18, left: MARGIN, right: MARGIN },
    info: { Title: title, Producer: 'Custodian', Creator: 'Custodian release of information' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return {
    doc,
    done: async () => {
      doc.end();
      return finished;
    },
  };
}

/** Stamps every page: `header` at the top, `footer` and "Page i of n" at the bottom. */
export function stampPages(doc: Pdf, header: string, footer: string): number {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing into the margin must not start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const width = doc.page.width - 2 * MARGIN;
    doc.font('Helvetica').fontSize(8).fillColor('#444444');
    doc.text(header, MARGIN, MARGIN - 10, { width, lineBreak: false });
    doc.text(`${footer} · Page ${i + 1 - range.start} of ${range.count}`, MARGIN, doc.page.height - MARGIN, {
      width,
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
  doc.fillColor('#000000');
  return range.count;
}

/** Text in the standard fonts' WinAnsi range (other characters would print as garbage). */
export function printable(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\t\n\r\x20-\x7e\xa0-\xff]/g, '?');
}

export function heading(doc: Pdf, text: string, size = 14): void {
  doc
    .moveDown(0.5)
    .font('Helvetica-Bold')
    .fontSize(size)
    .text(printable(text))
    .font('Helvetica')
    .fontSize(10);
}

export function line(doc: Pdf, text: string, options: PDFKit.Mixins.TextOptions = {}): void {
  doc.font('Helvetica').fontSize(10).text(printable(text), options);
}
