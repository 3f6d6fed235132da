import net from 'node:net';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdtAction } from './adt-to-fhir.ts';
import { MllpFramer, mllpFrame } from './mllp-framer.ts';
import { startMllpListener } from './mllp-server.ts';
import type { MllpEvent, MllpListener, MllpListenerOptions } from './mllp-server.ts';

const msh = (trigger: string, controlId: string): string =>
  `MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB, INC.|GOOD HEALTH HOSPITAL|198808181126|SECURITY|ADT^${trigger}^ADT_A01|${controlId}|P|2.5`;

function a01(controlId: string, mrn: string, family = 'EVERYMAN'): string {
  return [
    msh('A01', controlId),
    'EVN|A01|200708181123',
    `PID|1||${mrn}^5^M11^ADT1^MR^GOOD HEALTH HOSPITAL~123456789^^^USSSA^SS||${family}^ADAM^A^III||19610615|M||C|2222 HOME STREET^^GREENSBORO^NC^27401-1020`,
    'PV1|1|I|2000^2012^01||||004777^ATTEND^AARON^A|||SUR||||ADM|A0|',
  ].join('\r');
}

const A40 = [
  'MSH|^~\\&|REGADT|MCM|RSP1P8|MCM|200301051530|SEC|ADT^A40^ADT_A39|00000003|P|2.5',
  'EVN|A40|200301051530',
  'PID|||MR1^^^XYZ^MR||EVERYWOMAN^EVE|||||||||||||ACCT1',
  'MRG|MR2^^^XYZ^MR||ACCT1',
].join('\r');

/** A recording onAction: the seam the lead implements against the store. */
function recorder(fail?: (action: AdtAction) => string | undefined) {
  const seen: Array<{ action: AdtAction; controlId: string }> = [];
  const onAction = async (action: AdtAction, message: Hl7Message): Promise<void> => {
    const problem = fail?.(action);
    if (problem) throw new Error(problem);
    seen.push({ action, controlId: message.getSegment('MSH')?.getField(10)?.toString() ?? '' });
  };
  return { seen, onAction };
}

/** A plain TCP client that frames and unframes MLLP itself, so tests control every byte. */
class RawClient {
  private readonly framer = new MllpFramer();
  private readonly frames: string[] = [];
  private readonly waiters: Array<(text: string) => void> = [];
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const waiter = this.waiters.shift();
        if (waiter) waiter(event.data.toString('utf8'));
        else this.frames.push(event.data.toString('utf8'));
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(socket)));
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  nextAck(): Promise<Hl7Message> {
    const ready = this.frames.shift();
    const text =
      ready !== undefined
        ? Promise.resolve(ready)
        : new Promise<string>((resolve) => this.waiters.push(resolve));
    return text.then((t) => Hl7Message.parse(t.replace(/\r$/, '')));
  }

  async send(text: string): Promise<Hl7Message> {
    await this.write(mllpFrame(text));
    return this.nextAck();
  }

  close(): void {
    this.socket.destroy();
  }
}

const msa = (ack: Hl7Message): string[] => {
  const segment = ack.getSegment('MSA');
  return [1, 2, 3].map((i) => segment?.getField(i)?.toString() ?? '');
};

let listener: MllpListener | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await listener?.close();
  listener = undefined;
});

async function start(options: Omit<MllpListenerOptions, 'port'>): Promise<MllpListener> {
  listener = await startMllpListener({ port: 0, ...options });
  return listener;
}

async function connect(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('MLLP listener', () => {
  it('listens on loopback by default and acknowledges several messages on one connection with AA', async () => {
    const { seen, onAction } = recorder();
    const { port, host } = await start({ onAction });
    expect(host).toBe('127.0.0.1');
    const client = await connect(port);
    for (const [id, mrn] of [
      ['C1', 'MRN1'],
      ['C2', 'MRN2'],
      ['C3', 'MRN3'],
    ] as const) {
      const ack = await client.send(a01(id, mrn));
      expect(msa(ack)).toEqual(['AA', id, 'OK']);
      expect(ack.getSegment('MSH')?.getField(9)?.toString()).toBe('ACK^A01^ACK');
    }
    expect(await client.send(A40).then(msa)).toEqual(['AA', '00000003', 'OK']);
    expect(seen.map((s) => s.controlId)).toEqual(['C1', 'C2', 'C3', '00000003']);
    const first = seen[0]?.action;
    expect(first?.kind === 'upsert' ? first.patient.identifier?.map((i) => i.value) : []).toEqual([
      'MRN1',
      '123456789',
    ]);
    const last = seen[3]?.action;
    expect(last?.kind === 'merge' ? last.merges[0]?.nonSurvivor[0]?.value : undefined).toBe('MR2');
  });

  it('answers a sending system built on @medplum/hl7 (Hl7Client)', async () => {
    const { seen, onAction } = recorder();
    const { port } = await start({ onAction });
    const client = new Hl7Client({ host: '127.0.0.1', port });
    try {
      for (const id of ['M1', 'M2']) {
        const ack = await client.sendAndWait(Hl7Message.parse(a01(id, `MRN-${id}`)), { timeoutMs: 5000 });
        expect(msa(ack).slice(0, 2)).toEqual(['AA', id]);
      }
    } finally {
      await client.close();
    }
    expect(seen).toHaveLength(2);
  });

  it('NAKs malformed messages and keeps serving the same connection', async () => {
    const { seen, onAction } = recorder();
    const events: MllpEvent[] = [];
    const { port } = await start({ onAction, onEvent: (e) => events.push(e) });
    const client = await connect(port);

    expect(msa(await client.send('this is not HL7'))).toEqual([
      'AR',
      '',
      'message does not start with an MSH segment',
    ]);
    expect(msa(await client.send(`${msh('A01', 'BAD1')}\rthis line is not a segment`))).toEqual([
      'AR',
      'BAD1',
      'line 2 is not an HL7 segment (starts "this line is")',
    ]);
    expect(msa(await client.send(a01('GOOD1', 'MRN1')))).toEqual(['AA', 'GOOD1', 'OK']);
    expect(seen.map((s) => s.controlId)).toEqual(['GOOD1']);
    expect(events.filter((e) => e.type === 'nak')).toHaveLength(2);
  });

  it('NAKs bytes sent without the MLLP start block, once per message, and keeps serving', async () => {
    const { seen, onAction } = recorder();
    const events: MllpEvent[] = [];
    const { port } = await start({ onAction, onEvent: (e) => events.push(e) });
    const client = await connect(port);
    const reason = 'message sent without the MLLP start block (0x0B): frame it as <VT> message <FS><CR>';
    // A sender that forgot the start block but sends the end block, then one that sends bare text.
    await client.write(`${a01('RAW1', 'MRN1')}\x1c\r`);
    expect(msa(await client.nextAck())).toEqual(['AR', 'RAW1', reason]);
    await client.write(`${a01('RAW2', 'MRN2')}\r`);
    const nak = await client.nextAck();
    expect(msa(nak)).toEqual(['AR', 'RAW2', reason]);
    expect(nak.getSegment('ERR')?.getField(3)?.toString()).toBe('100^Segment sequence error^HL70357');
    expect(msa(await client.send(a01('FRAMED1', 'MRN3')))).toEqual(['AA', 'FRAMED1', 'OK']);
    expect(seen.map((s) => s.controlId)).toEqual(['FRAMED1']);
    expect(events.filter((e) => e.type === 'nak')).toEqual([
      { type: 'nak', reason },
      { type: 'nak', reason },
    ]);
  }, 10_000);

  it('rejects unsupported triggers (AR) and missing identifiers (AE) with ERR details', async () => {
    const { seen, onAction } = recorder();
    const { port } = await start({ onAction });
    const client = await connect(port);
    const a05 = a01('U1', 'MRN1').replace('ADT^A01^ADT_A01', 'ADT^A05^ADT_A05');
    const rejected = await client.send(a05);
    expect(msa(rejected)).toEqual(['AR', 'U1', 'trigger event A05 is not supported']);
    expect(rejected.getSegment('ERR')?.getField(3)?.toString()).toBe('201^Unsupported event code^HL70357');
    const noId = a01('U2', 'X').replace(/PID\|1\|\|[^|]*\|/, 'PID|1|||');
    const error = await client.send(noId);
    expect(msa(error)).toEqual(['AE', 'U2', 'PID-3 (patient identifier list) is empty']);
    expect(error.getSegment('ERR')?.getField(2)?.toString()).toBe('PID^1^3');
    expect(seen).toHaveLength(0);
  });

  it('answers AE with the reason when onAction throws, then AA again', async () => {
    const { seen, onAction } = recorder((action) =>
      action.kind === 'upsert' && action.patient.name?.[0]?.family === 'LOCKED'
        ? 'patient record is locked by another merge'
        : undefined,
    );
    const { port } = await start({ onAction });
    const client = await connect(port);
    expect(msa(await client.send(a01('E1', 'MRN1', 'LOCKED')))).toEqual([
      'AE',
      'E1',
      'patient record is locked by another merge',
    ]);
    expect(msa(await client.send(a01('E2', 'MRN2')))).toEqual(['AA', 'E2', 'OK']);
    expect(seen.map((s) => s.controlId)).toEqual(['E2']);
  });

  it('reassembles a message split across TCP packets, and splits messages sharing a packet', async () => {
    const { seen, onAction } = recorder();
    const { port } = await start({ onAction });
    const client = await connect(port);
    const bytes = mllpFrame(a01('S1', 'MRN1'));
    const cuts = [0, 1, 40, 41, 200, bytes.length - 1, bytes.length];
    for (let i = 0; i < cuts.length - 1; i += 1) {
      await client.write(bytes.subarray(cuts[i], cuts[i + 1]));
      await sleep(15); // separate packets, not one coalesced write
    }
    expect(msa(await client.nextAck())).toEqual(['AA', 'S1', 'OK']);

    await client.write(
      Buffer.concat([mllpFrame(a01('S2', 'MRN2')), mllpFrame(a01('S3', 'MRN3')), mllpFrame('junk')]),
    );
    expect(msa(await client.nextAck())[1]).toBe('S2');
    expect(msa(await client.nextAck())[1]).toBe('S3');
    expect(msa(await client.nextAck())[0]).toBe('AR');
    expect(seen.map((s) => s.controlId)).toEqual(['S1', 'S2', 'S3']);
  });

  it('survives a client that hangs up mid-frame', async () => {
    const { seen, onAction } = recorder();
    const events: MllpEvent[] = [];
    const { port } = await start({ onAction, onEvent: (e) => events.push(e) });
    const quitter = await connect(port);
    await quitter.write(mllpFrame(a01('Q1', 'MRN1')).subarray(0, 120));
    quitter.close();
    await sleep(50);
    const client = await connect(port);
    expect(msa(await client.send(a01('Q2', 'MRN2')))).toEqual(['AA', 'Q2', 'OK']);
    expect(seen.map((s) => s.controlId)).toEqual(['Q2']);
    expect(events).toContainEqual({ type: 'partial-frame-dropped', bytes: 119 });
  });

  it('NAKs a message over the size limit and carries on', async () => {
    const { onAction } = recorder();
    const { port } = await start({ onAction, maxMessageBytes: 1000 });
    const client = await connect(port);
    const huge = `${a01('BIG1', 'MRN1')}\rNTE|1||${'x'.repeat(5000)}`;
    expect(msa(await client.send(huge))).toEqual(['AR', 'BIG1', 'message larger than 1000 bytes']);
    expect(msa(await client.send(a01('OK1', 'MRN2')))[0]).toBe('AA');
  });

  it('reads Latin-1 when MSH-18 says 8859/1', async () => {
    const { seen, onAction } = recorder();
    const { port } = await start({ onAction });
    const client = await connect(port);
    const text = a01('L1', 'MRN1', 'MÜLLER').replace('|P|2.5', '|P|2.5||||||8859/1');
    await client.write(
      Buffer.concat([Buffer.from([0x0b]), Buffer.from(text, 'latin1'), Buffer.from([0x1c, 0x0d])]),
    );
    expect(msa(await client.nextAck())[0]).toBe('AA');
    const action = seen[0]?.action;
    expect(action?.kind === 'upsert' ? action.patient.name?.[0]?.family : undefined).toBe('MÜLLER');
  });

  it('close() waits for a message being applied, then stops listening', async () => {
    let release: () => void = () => undefined;
    const applied: string[] = [];
    const onAction = async (action: AdtAction): Promise<void> => {
      await new Promise<void>((resolve) => (release = resolve));
      applied.push(action.header.controlId);
    };
    const started = await start({ onAction });
    const client = await connect(started.port);
    await client.write(mllpFrame(a01('W1', 'MRN1')));
    await sleep(30);
    const closing = started.close();
    listener = undefined;
    release();
    await closing;
    expect(applied).toEqual(['W1']);
    await expect(RawClient.connect(started.port)).rejects.toThrow();
  });
});
