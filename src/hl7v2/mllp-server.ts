import net from 'node:net';
import type { Hl7Message } from '@medplum/core';
import { ackText, buildAck, buildNak } from './ack.ts';
import type { AckCode } from './ack.ts';
import { adtToAction } from './adt-to-fhir.ts';
import type { AdtAction, AdtMapOptions } from './adt-to-fhir.ts';
import { AdtRefusal, HL7_ERROR } from './errors.ts';
import { MllpFramer, mllpFrame } from './mllp-framer.ts';
import { parseHl7Message } from './parse.ts';

/** What the listener reports about each message and connection (for logs, metrics and tests). */
export type MllpEvent =
  | { type: 'ack'; code: AckCode; controlId: string; trigger?: string; reason?: string; ms: number }
  | { type: 'nak'; reason: string }
  | { type: 'connection-error'; error: Error }
  | { type: 'partial-frame-dropped'; bytes: number };

export interface MllpListenerOptions {
  /** Address to listen on; loopback unless said otherwise (ADT carries PHI). */
  host?: string;
  /** TCP port; 0 picks a free one (see the returned `port`). */
  port: number;
  /**
   * Applies one action to the record store. Resolves -> AA; throws -> AE with the error's message
   * (an `AdtRefusal` chooses its own ACK code and ERR details).
   * Called one message at a time per connection, in arrival order; a sender that did not get its
   * ACK resends the same message (same MSH-10), so this must be idempotent.
   */
  onAction: (action: AdtAction, message: Hl7Message) => Promise<void>;
  mapOptions?: AdtMapOptions;
  /** Largest accepted message in bytes (default 16 MiB); larger ones get a NAK. */
  maxMessageBytes?: number;
  onEvent?: (event: MllpEvent) => void;
}

export interface MllpListener {
  host: string;
  port: number;
  /** Stops accepting, lets messages being applied finish, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts an HL7 v2 MLLP listener over node:net. Every framed message gets exactly one ACK: AA once
 * `onAction` resolves, AE with the reason when it throws or the data is unusable, AR for a message
 * type or trigger we do not take, and a NAK (AR) for bytes that are not an HL7 message or that came
 * without the MLLP start block (one per such message). Nothing a
 * client sends or does (garbage, huge frames, hanging up mid-frame) stops the listener.
 */
export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const host = options.host ?? '127.0.0.1';
  const emit = (event: MllpEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A faulty observer must not break message handling.
    }
  };
  const sockets = new Set<net.Socket>();
  const inFlight = new Set<Promise<void>>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setKeepAlive(true, 60_000);
    // ACKs are small and the sender waits for each one: send them at once.
    socket.setNoDelay(true);
    const framer = new MllpFramer(options.maxMessageBytes);
    // One chain per connection keeps ACKs in message order and updates to a patient in sequence.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        const work = chain.then(async () => {
          const reply =
            event.type === 'frame'
              ? await handleFrame(event.data, options, emit)
              : event.type === 'oversize'
                ? oversizeNak(event.head, options, emit)
                : unframedNak(event.head, emit);
          if (!socket.destroyed && socket.writable) {
            socket.write(mllpFrame(reply));
          }
        });
        const settled = work.catch((err: unknown) => emit({ type: 'connection-error', error: asError(err) }));
        chain = settled;
        inFlight.add(settled);
        void settled.finally(() => inFlight.delete(settled));
      }
    });
    socket.on('error', (error) => emit({ type: 'connection-error', error }));
    socket.on('close', () => {
      sockets.delete(socket);
      const partial = framer.pendingBytes();
      if (partial > 0) emit({ type: 'partial-frame-dropped', bytes: partial });
      framer.reset();
    });
  });
  server.on('error', (error) => emit({ type: 'connection-error', error }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    host,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function handleFrame(
  data: Buffer,
  options: MllpListenerOptions,
  emit: (e: MllpEvent) => void,
): Promise<string> {
  const started = performance.now();
  const text = decodeMessageBytes(data);
  const parsed = parseHl7Message(text);
  if (!parsed.ok) {
    emit({ type: 'nak', reason: parsed.reason });
    return ackText(buildNak(text, parsed.reason));
  }
  const message = parsed.message;
  const controlId = message.getSegment('MSH')?.getField(10)?.toString() ?? '';
  const done = (code: AckCode, reason?: string, trigger?: string): void =>
    emit({
      type: 'ack',
      code,
      controlId,
      ...(trigger ? { trigger } : {}),
      ...(reason ? { reason } : {}),
      ms: performance.now() - started,
    });
  let mapped;
  try {
    mapped = adtToAction(message, options.mapOptions);
  } catch (err) {
    // A mapping bug must cost one AE, not the listener.
    const reason = `could not map message: ${asError(err).message}`;
    done('AE', reason);
    return ackText(buildAck(message, 'AE', reason, { errorCode: HL7_ERROR.internalError }));
  }
  if (!mapped.ok) {
    const { ackCode, reason, errorCode, location } = mapped.rejection;
    done(ackCode, reason);
    return ackText(buildAck(message, ackCode, reason, { errorCode, ...(location ? { location } : {}) }));
  }
  const trigger = mapped.action.header.trigger;
  try {
    await options.onAction(mapped.action, message);
  } catch (err) {
    if (err instanceof AdtRefusal) {
      const { ackCode, reason, errorCode, location } = err.rejection;
      done(ackCode, reason, trigger);
      return ackText(buildAck(message, ackCode, reason, { errorCode, ...(location ? { location } : {}) }));
    }
    const reason = asError(err).message || 'the record store refused the message';
    done('AE', reason, trigger);
    return ackText(buildAck(message, 'AE', reason, { errorCode: HL7_ERROR.internalError }));
  }
  done('AA', undefined, trigger);
  return ackText(buildAck(message, 'AA'));
}

function oversizeNak(head: Buffer, options: MllpListenerOptions, emit: (e: MllpEvent) => void): string {
  const reason = `message larger than ${options.maxMessageBytes ?? 16 * 1024 * 1024} bytes`;
  emit({ type: 'nak', reason });
  return ackText(buildNak(decodeMessageBytes(head), reason, HL7_ERROR.segmentSequence));
}

/**
 * A sender that leaves out the start block gets a NAK rather than silence: it would otherwise wait
 * for an ACK that never comes, with nothing on either side saying why.
 */
function unframedNak(head: Buffer, emit: (e: MllpEvent) => void): string {
  const reason = 'message sent without the MLLP start block (0x0B): frame it as <VT> message <FS><CR>';
  emit({ type: 'nak', reason });
  return ackText(buildNak(decodeMessageBytes(head), reason, HL7_ERROR.segmentSequence));
}

/**
 * Message bytes as text: UTF-8 unless MSH-18 names Latin-1 (8859/1), which older feeds still send.
 */
export function decodeMessageBytes(data: Buffer): string {
  const head = data
    .subarray(0, 2048)
    .toString('latin1')
    .replace(/^\u00EF\u00BB\u00BF/, '');
  const firstLine = head.split(/[\r\n]/, 1)[0] ?? '';
  // MSH-18 (character set) is the 17th separator-delimited piece after the segment name.
  const charset = firstLine.split(firstLine.charAt(3) || '|')[17] ?? '';
  if (/8859\/1|8859-1|latin-?1/i.test(charset)) {
    return data.toString('latin1');
  }
  return new TextDecoder('utf-8').decode(data);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
