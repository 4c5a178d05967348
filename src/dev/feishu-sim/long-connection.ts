import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import protobuf from 'protobufjs';
import { type WebSocket, WebSocketServer } from 'ws';
import { randomHex } from './crypto.js';

/** pbbp2.Frame, as the SDK's WSClient encodes it (see feishu-platform.md §4), built by reflection. */
const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { type: 'uint64', id: 1 },
            LogID: { type: 'uint64', id: 2 },
            service: { type: 'int32', id: 3 },
            method: { type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});
const FrameType = root.lookupType('pbbp2.Frame');

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

const METHOD_CONTROL = 0;
const METHOD_DATA = 1;
export const WS_PATH = '/callback/ws/conn';
const SERVICE_ID = 33554678;
const TICKET_TTL_MS = 60 * 60 * 1000;
/** Seconds, as Feishu sends them. Reconnect is quicker than Feishu's so a restarted sim is found again soon. */
export const CLIENT_CONFIG = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 5, ReconnectNonce: 2 };

export function encodeFrame(frame: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

export function decodeFrame(bytes: Uint8Array): Frame {
  const decoded = FrameType.toObject(FrameType.decode(bytes), { longs: Number, defaults: true }) as Frame;
  return decoded;
}

export interface Ack {
  code: number;
  /** The handler's result, decoded from base64(JSON) — e.g. a card-click toast. */
  data: unknown;
  headers: Record<string, string>;
}

interface PendingAck {
  resolve: (ack: Ack) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The long-connection side of the platform: ws endpoint tickets, pings, event pushes and their acks. */
export class LongConnectionServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, number>();
  private readonly sockets = new Set<WebSocket>();
  /** Sockets whose client has pinged: only these are sent events. */
  private readonly ready = new WeakSet<WebSocket>();
  private readonly pending = new Map<string, PendingAck>();
  private readonly waiters = new Set<{ wake: () => void; fail: (error: Error) => void }>();
  private seq = 0;

  constructor(private readonly ackTimeoutMs = 10_000) {}

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** A fresh connect URL; service_id is deliberately not the first query parameter (the SDK parses it that way). */
  connectUrl(httpBaseUrl: string): string {
    const ticket = randomHex(16);
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    const base = httpBaseUrl.replace(/^http/, 'ws');
    return `${base}${WS_PATH}?fpid=493&aid=552564&device_id=sim_${randomHex(6)}&access_key=${randomHex(8)}&service_id=${SERVICE_ID}&ticket=${ticket}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    if (url.pathname !== WS_PATH || expires === undefined || expires < Date.now()) {
      socket.end('HTTP/1.1 403 Forbidden\r\nHandshake-Status: 403\r\nHandshake-Msg: invalid ticket\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('message', (data: Buffer) => this.onFrame(ws, data));
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      return;
    }
    const headers = Object.fromEntries(frame.headers.map((h) => [h.key, h.value]));
    if (frame.method === METHOD_CONTROL && headers.type === 'ping') {
      // The SDK pings as soon as the socket opens but listens for pushes only after its connect() resolves; a client
      // is sent events once it has pinged, so a push never lands before the SDK listens.
      if (!this.ready.has(ws)) {
        this.ready.add(ws);
        for (const waiter of this.waiters) waiter.wake();
      }
      ws.send(
        encodeFrame({
          SeqID: 0,
          LogID: 0,
          service: frame.service,
          method: METHOD_CONTROL,
          headers: [{ key: 'type', value: 'pong' }],
          payload: Buffer.from(JSON.stringify(CLIENT_CONFIG)),
        }),
      );
      return;
    }
    if (frame.method === METHOD_DATA && headers.message_id) {
      const pending = this.pending.get(headers.message_id);
      if (!pending) return;
      this.pending.delete(headers.message_id);
      clearTimeout(pending.timer);
      let body: { code?: number; data?: string } = {};
      try {
        body = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8'));
      } catch {
        pending.reject(new Error('the client acked with a payload that is not JSON'));
        return;
      }
      let result: unknown = {};
      if (typeof body.data === 'string' && body.data !== '') {
        result = JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'));
      }
      pending.resolve({ code: Number(body.code ?? 0), data: result, headers });
    }
  }

  /** Pushes an event to one connected client (a random one, as in cluster mode) and waits for its ack. */
  async push(envelopeJson: string, waitForClientMs = 5000): Promise<Ack> {
    const ws = await this.pickSocket(waitForClientMs);
    const messageId = randomHex(12);
    const seq = ++this.seq;
    const frame: Frame = {
      SeqID: seq,
      LogID: seq,
      service: SERVICE_ID,
      method: METHOD_DATA,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'message_id', value: messageId },
        { key: 'sum', value: '1' },
        { key: 'seq', value: '0' },
        { key: 'trace_id', value: randomHex(8) },
      ],
      payload: Buffer.from(envelopeJson),
    };
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(
          new Error(`the long-connection client did not ack event push ${messageId} within ${this.ackTimeoutMs} ms`),
        );
      }, this.ackTimeoutMs);
      this.pending.set(messageId, { resolve, reject, timer });
      ws.send(encodeFrame(frame));
    });
  }

  private pickSocket(waitMs: number): Promise<WebSocket> {
    const pick = () => {
      const open = [...this.sockets].filter((s) => s.readyState === s.OPEN && this.ready.has(s));
      return open[Math.floor(Math.random() * open.length)];
    };
    const now = pick();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const socket = pick();
        if (!socket) return;
        cleanup();
        resolve(socket);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no long-connection client connected within ${waitMs} ms: start the bot's WSClient against the simulator (domain = sim.url) or use webhook mode`,
          ),
        );
      }, waitMs);
      const waiter = {
        wake,
        fail: (error: Error) => {
          cleanup();
          reject(error);
        },
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error('the simulator closed before the client acked'));
      this.pending.delete(id);
    }
    for (const waiter of [...this.waiters]) waiter.fail(new Error('the simulator closed'));
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
