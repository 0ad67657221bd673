import { describe, expect, it } from 'vitest';
import { RealtimeClient, reconnectDelay, socketUrl, type SocketLike } from './realtime';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) { this.sent.push(JSON.parse(data)); }
  close() { this.closed = true; this.readyState = 3; }
  open() { this.readyState = 1; this.onopen?.({}); }
  drop() { this.readyState = 3; this.onerror?.({}); this.onclose?.({}); }
  receive(message: object) { this.onmessage?.({ data: JSON.stringify(message) }); }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  let token = 'token-1';
  const client = new RealtimeClient({
    url: 'ws://segue.test/v1/ws',
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    getToken: async () => token,
    setTimer: (fn, ms) => {
      const timer = { fn, ms, cancelled: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => { (timer as { cancelled: boolean }).cancelled = true; },
    random: () => 0,
  });
  const fire = () => {
    const timer = timers.filter((t) => !t.cancelled).pop()!;
    timer.cancelled = true;
    timer.fn();
  };
  return { client, sockets, timers, fire, setToken: (t: string) => { token = t; } };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('realtime client', () => {
  it('builds the socket URL from the page location', () => {
    expect(socketUrl({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/v1/ws');
    expect(socketUrl({ protocol: 'https:', host: 'music.example' })).toBe('wss://music.example/v1/ws');
  });

  it('backs off exponentially up to 30 s, with jitter below the full delay', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => reconnectDelay(a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(reconnectDelay(2, 1)).toBe(3200);
  });

  it('authenticates first, then subscribes with the snapshot the page has', async () => {
    const { client, sockets } = setup();
    let snapshot = 'snap-1';
    client.subscribe('playlist:p1', () => undefined, () => snapshot);
    client.subscribe('me', () => undefined);
    expect(sockets).toHaveLength(1);
    sockets[0].open();
    await flush();
    expect(sockets[0].sent).toEqual([
      { type: 'auth', access_token: 'token-1' },
      { type: 'subscribe', topic: 'playlist:p1', since: 'snap-1' },
      { type: 'subscribe', topic: 'me' },
    ]);
    expect(client.live).toBe(false);
    sockets[0].receive({ type: 'authenticated', user_id: 'u1' });
    expect(client.live).toBe(true);
    snapshot = 'snap-2';
    client.subscribe('playlist:p2', () => undefined, () => 'x');
    expect(sockets[0].sent.at(-1)).toEqual({ type: 'subscribe', topic: 'playlist:p2', since: 'x' });
  });

  it('delivers messages to the subscribers of their topic', async () => {
    const { client, sockets } = setup();
    const p1: unknown[] = [];
    const me: unknown[] = [];
    client.subscribe('playlist:p1', (m) => p1.push(m));
    client.subscribe('me', (m) => me.push(m));
    sockets[0].open();
    await flush();
    sockets[0].receive({ type: 'playlist_updated', playlist_id: 'p1', snapshot_id: 's2', ops: [] });
    sockets[0].receive({ type: 'playlist_updated', playlist_id: 'other', snapshot_id: 's9', ops: [] });
    sockets[0].receive({ type: 'library_updated' });
    sockets[0].onmessage?.({ data: 'not json' });
    expect(p1).toEqual([{ type: 'playlist_updated', playlist_id: 'p1', snapshot_id: 's2', ops: [] }]);
    expect(me).toEqual([{ type: 'library_updated' }]);
  });

  it('reconnects with growing delays and resubscribes with the current snapshot and token', async () => {
    const { client, sockets, timers, fire, setToken } = setup();
    let snapshot = 'snap-1';
    const live: boolean[] = [];
    client.onStatus((l) => live.push(l));
    client.subscribe('playlist:p1', () => undefined, () => snapshot);
    sockets[0].open();
    await flush();
    sockets[0].receive({ type: 'authenticated' });
    sockets[0].drop();
    expect(live).toEqual([true, false]);
    expect(timers.at(-1)!.ms).toBe(1000);
    fire();
    expect(sockets).toHaveLength(2);
    sockets[1].drop(); // the server is still down
    expect(timers.at(-1)!.ms).toBe(2000);
    fire();
    sockets[2].drop();
    expect(timers.at(-1)!.ms).toBe(4000);
    fire();
    snapshot = 'snap-7';
    setToken('token-2');
    sockets[3].open();
    await flush();
    expect(sockets[3].sent).toEqual([
      { type: 'auth', access_token: 'token-2' },
      { type: 'subscribe', topic: 'playlist:p1', since: 'snap-7' },
    ]);
    sockets[3].receive({ type: 'subscribed', topic: 'playlist:p1' });
    expect(live).toEqual([true, false, true]);
    // A successful connection starts the backoff over.
    sockets[3].drop();
    expect(timers.at(-1)!.ms).toBe(1000);
  });

  it('unsubscribes and stops reconnecting once nobody listens, and close() is final', async () => {
    const { client, sockets, timers } = setup();
    const stop = client.subscribe('playlist:p1', () => undefined);
    const stopMe = client.subscribe('me', () => undefined);
    sockets[0].open();
    await flush();
    stop();
    expect(sockets[0].sent.at(-1)).toEqual({ type: 'unsubscribe', topic: 'playlist:p1' });
    stopMe();
    sockets[0].drop();
    expect(timers).toHaveLength(0);

    const again = setup();
    again.client.subscribe('me', () => undefined);
    again.sockets[0].drop();
    expect(again.timers).toHaveLength(1);
    again.client.close();
    expect(again.timers[0].cancelled).toBe(true);
    expect(again.sockets).toHaveLength(1);
  });

  it('counts a topic as live only once the server confirmed it, and not after it refused it', async () => {
    const { client, sockets } = setup();
    const changes: boolean[] = [];
    client.onStatus((l) => changes.push(l));
    client.subscribe('me', () => undefined);
    client.subscribe('playlist:p1', () => undefined, () => 's1');
    sockets[0].open();
    await flush();
    sockets[0].receive({ type: 'authenticated', expires_in: 0 });
    expect(client.isLive('me')).toBe(false);
    sockets[0].receive({ type: 'subscribed', topic: 'me' });
    sockets[0].receive({ type: 'error', status: 404, message: 'Unknown topic', topic: 'playlist:p1' });
    expect(client.isLive('me')).toBe(true);
    expect(client.isLive('playlist:p1')).toBe(false);
    expect(changes.length).toBeGreaterThanOrEqual(3);
    sockets[0].drop();
    expect(client.isLive('me')).toBe(false);
  });

  it('sends a fresh token before the current one expires', async () => {
    const { client, sockets, timers, fire, setToken } = setup();
    client.subscribe('me', () => undefined);
    sockets[0].open();
    await flush();
    sockets[0].receive({ type: 'authenticated', expires_in: 3600 });
    expect(timers.at(-1)!.ms).toBe(3600 * 850);
    setToken('token-2');
    fire();
    await flush();
    expect(sockets[0].sent.at(-1)).toEqual({ type: 'auth', access_token: 'token-2' });
    expect(sockets).toHaveLength(1);
  });

  it('does not authenticate a socket that closed while the token was coming', async () => {
    const { client, sockets } = setup();
    client.subscribe('me', () => undefined);
    sockets[0].open();
    sockets[0].drop();
    await flush();
    expect(sockets[0].sent).toEqual([]);
    expect(client.live).toBe(false);
  });
});
