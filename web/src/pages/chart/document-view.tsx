import type { Attachment, DocumentReference } from '@medplum/fhirtypes';
import { useEffect, useState, type ReactNode } from 'react';
import { readBinary } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { conceptText, formatDate } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import type { ChartData } from './chart-data.ts';
import { documentTitle } from './encounter-view.tsx';
import { PatientBanner } from './patient-banner.tsx';

type Shown =
  | { kind: 'text'; text: string }
  | { kind: 'frame'; url: string; contentType: string }
  | { kind: 'image'; url: string }
  | { kind: 'download'; url: string; contentType: string };

/** Attachment bytes: inline base64 data, or the Binary the url points at (read through the audited API). */
async function attachmentBytes(a: Attachment): Promise<{ bytes: Uint8Array; contentType: string }> {
  if (a.data) return { bytes: base64Bytes(a.data), contentType: a.contentType ?? 'application/octet-stream' };
  const binaryId = a.url
    ? /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/\d+)?$/.exec(a.url)?.[1]
    : undefined;
  if (!binaryId)
    throw new Error(
      a.url ? `The document is stored outside Custodian (${a.url})` : 'The document has no content',
    );
  const binary = await readBinary(binaryId);
  return {
    bytes: base64Bytes(binary.data ?? ''),
    contentType: a.contentType ?? binary.contentType ?? 'application/octet-stream',
  };
}

function base64Bytes(data: string): Uint8Array<ArrayBuffer> {
  const raw = atob(data.replace(/\s+/g, ''));
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Text as text; HTML in a sandboxed frame (no scripts); PDF in a frame; images as images. */
function present(bytes: Uint8Array<ArrayBuffer>, contentType: string): Shown {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/plain' || type === 'text/markdown' || type === 'text/csv') {
    const charset = /charset=([\w-]+)/i.exec(contentType)?.[1] ?? 'utf-8';
    return { kind: 'text', text: new TextDecoder(charset).decode(bytes) };
  }
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  if (type === 'text/html' || type === 'application/pdf') return { kind: 'frame', url, contentType: type };
  if (type.startsWith('image/')) return { kind: 'image', url };
  return { kind: 'download', url, contentType: type };
}

export function DocumentView({ chart, documentId }: { chart: ChartData; documentId: string }): ReactNode {
  const doc = chart.documents.find((d) => d.id === documentId);
  const patientId = chart.patient.id ?? '';
  if (!doc) {
    return (
      <Page title="Document not found">
        <PatientBanner patient={chart.patient} />
        <Empty>This document is not in the chart.</Empty>
      </Page>
    );
  }
  const encounterId = doc.context?.encounter?.[0]?.reference?.split('/').pop();
  return (
    <Page title={documentTitle(doc)}>
      <PatientBanner patient={chart.patient} />
      <nav aria-label="Document" className="encounter-nav">
        <Link to={`/patients/${encodeURIComponent(patientId)}`}>← Back to chart</Link>
        {encounterId && (
          <Link
            to={`/patients/${encodeURIComponent(patientId)}/encounters/${encodeURIComponent(encounterId)}`}
          >
            Back to encounter
          </Link>
        )}
      </nav>
      <DocumentFacts doc={doc} />
      {doc.content.map((c, i) => (
        <AttachmentView key={`${documentId}:${i}`} attachment={c.attachment} title={documentTitle(doc)} />
      ))}
    </Page>
  );
}

function DocumentFacts({ doc }: { doc: DocumentReference }): ReactNode {
  return (
    <dl className="facts inline card">
      <dt>Type</dt>
      <dd>{conceptText(doc.type) || '—'}</dd>
      <dt>Date</dt>
      <dd>{formatDate(doc.date) || '—'}</dd>
      <dt>Author</dt>
      <dd>
        {doc.author
          ?.map((a) => a.display)
          .filter(Boolean)
          .join('; ') || '—'}
      </dd>
      <dt>Status</dt>
      <dd>{doc.docStatus ?? doc.status}</dd>
    </dl>
  );
}

function AttachmentView({ attachment, title }: { attachment: Attachment; title: string }): ReactNode {
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let url: string | undefined;
    setShown(null);
    setError(null);
    attachmentBytes(attachment)
      .then(({ bytes, contentType }) => {
        const s = present(bytes as Uint8Array<ArrayBuffer>, contentType);
        if (s.kind !== 'text') url = s.url;
        if (live) setShown(s);
        else if (url) URL.revokeObjectURL(url);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [attachment]);
  if (error) return <ErrorMessage error={error} title="The document could not be opened" />;
  if (!shown) return <Loading label="Opening the document" />;
  switch (shown.kind) {
    case 'text':
      return (
        <pre className="document-text" tabIndex={0} aria-label={`${title} (text)`}>
          {shown.text}
        </pre>
      );
    case 'frame':
      return (
        <div className="document-frame">
          <iframe
            src={shown.url}
            title={title}
            sandbox={shown.contentType === 'text/html' ? '' : undefined}
          />
          <p>
            <a href={shown.url} download>
              Download ({shown.contentType})
            </a>
          </p>
        </div>
      );
    case 'image':
      return <img className="document-image" src={shown.url} alt={title} />;
    case 'download':
      return (
        <p>
          This format ({shown.contentType}) cannot be shown in the browser.{' '}
          <a href={shown.url} download>
            Download the document
          </a>
        </p>
      );
  }
}
