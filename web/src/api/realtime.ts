// Live updates: one WebSocket per tab to /v1/ws. The first message authenticates with the
// session's current access token; then each topic ("playlist:<id>", "me") is subscribed, with
// the snapshot the page has ("since") so the server sends what changed after it. A dropped
// connection is retried with exponential backoff and every topic is subscribed again.
// When /v1/ws is not there (or keeps failing) `live` stays false and pages fall back to polling.
import { getAccessToken } from '../auth/session';
import { backoffDelay } from './connectivity';

export interface RealtimeMessage {
  type: string;
  [key: string]: unknown;
}

/** The part of the browser's WebSocket the client uses (a fake in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface RealtimeDeps {
  url: string;
  createSocket(url: string): SocketLike;
  getToken(): Promise<string>;
  setTimer?(fn: () => void, ms: number): unknown;
  clearTimer?(timer: unknown): void;
  /** 0..1, for jitter (so that many tabs do not reconnect in step). */
  random?(): number;
}

type Handler = (message: RealtimeMessage) => void;
interface Subscription {
  handler: Handler;
  since?: () => string | undefined;
}

const OPEN = 1;
/** When to send a fresh token, as a share of the current one's remaining life. */
const REAUTH_AT = 0.85;

/** The wait before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s ... 30 s, less up to 20 % jitter. */
export function reconnectDelay(attempt: number, random = 0): number {
  return Math.round(backoffDelay(attempt) * (1 - 0.2 * random));
}

export class RealtimeClient {
  private socket: SocketLike | null = null;
  private readonly topics = new Map<string, Set<Subscription>>();
  private readonly statusListeners = new Set<(live: boolean) => void>();
  private timer: unknown = null;
  private reauthTimer: unknown = null;
  /** Topics the server confirmed ("subscribed") or refused ("error") on this connection. */
  private readonly confirmed = new Set<string>();
  private readonly failed = new Set<string>();
  private attempt = 0;
  private closed = false;
  private authed = false;
  live = false;

  constructor(private readonly deps: RealtimeDeps) {}

  /** Receives the messages of `topic`; `since` gives the snapshot to resume from. */
  subscribe(topic: string, handler: Handler, since?: () => string | undefined): () => void {
    this.closed = false;
    let subs = this.topics.get(topic);
    const isNew = !subs;
    if (!subs) {
      subs = new Set();
      this.topics.set(topic, subs);
    }
    const sub: Subscription = { handler, since };
    if (isNew) this.failed.delete(topic);
    subs.add(sub);
    if (isNew && this.authed) this.sendSubscribe(topic);
    this.ensureConnected();
    return () => {
      const set = this.topics.get(topic);
      if (!set?.delete(sub) || set.size > 0) return;
      this.topics.delete(topic);
      if (this.authed) this.send({ type: 'unsubscribe', topic });
    };
  }

  /** Called when the connection or a topic's state changes (with whether the socket is live). */
  onStatus(listener: (live: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Closes the socket for good (logout); a later subscribe opens a new one. */
  close(): void {
    this.closed = true;
    this.topics.clear();
    this.cancelTimer();
    this.cancelReauth();
    const socket = this.socket;
    this.socket = null;
    this.authed = false;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(1000, 'bye');
    }
    this.setLive(false);
    this.attempt = 0;
  }

  /** Reconnects at once if the socket is down (the browser came back online, ...). */
  retryNow(): void {
    if (this.socket || this.closed || this.topics.size === 0) return;
    this.cancelTimer();
    this.connect();
  }

  private ensureConnected(): void {
    if (this.socket || this.timer !== null) return;
    this.connect();
  }

  private connect(): void {
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(this.deps.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.deps.getToken().then((token) => {
        if (this.socket !== socket || socket.readyState !== OPEN) return;
        socket.send(JSON.stringify({ type: 'auth', access_token: token }));
        this.authed = true;
        for (const topic of this.topics.keys()) this.sendSubscribe(topic);
      }, () => {
        // No token (logged out): stop; the session's own handling shows the login page.
        if (this.socket === socket) socket.close(1000, 'no session');
      });
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket || typeof event.data !== 'string') return;
      let message: RealtimeMessage;
      try {
        message = JSON.parse(event.data) as RealtimeMessage;
      } catch {
        return;
      }
      if (!message || typeof message.type !== 'string') return;
      if (message.type === 'authenticated' || message.type === 'subscribed') {
        // The server took the token: the connection counts as working again.
        this.attempt = 0;
        if (message.type === 'authenticated') this.scheduleReauth(socket, message.expires_in);
        if (message.type === 'subscribed' && typeof message.topic === 'string') this.confirmed.add(message.topic);
        if (this.live) this.notify();
        else this.setLive(true);
      } else if (message.type === 'error' && typeof message.topic === 'string' && this.topics.has(message.topic)) {
        // A topic the server does not offer (yet) or refuses: its page polls instead.
        this.confirmed.delete(message.topic);
        this.failed.add(message.topic);
        this.notify();
      }
      this.dispatch(message);
    };
    socket.onerror = () => undefined; // onclose follows
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.cancelReauth();
      this.socket = null;
      this.authed = false;
      this.setLive(false);
      if (!this.closed && this.topics.size > 0) this.scheduleReconnect();
    };
  }

  private dispatch(message: RealtimeMessage): void {
    const topic = typeof message.topic === 'string' ? message.topic
      : message.type === 'playlist_updated' && typeof message.playlist_id === 'string' ? `playlist:${message.playlist_id}`
      : message.type === 'library_updated' ? 'me'
      : null;
    const targets = topic ? [this.topics.get(topic)] : [...this.topics.values()];
    for (const subs of targets) for (const sub of subs ?? []) sub.handler(message);
  }

  /**
   * The server closes the socket when its token expires: before that, send a fresh token
   * (renewed by the session when it is close to expiry) in a new auth message.
   */
  private scheduleReauth(socket: SocketLike, expiresIn: unknown): void {
    this.cancelReauth();
    if (typeof expiresIn !== 'number' || !(expiresIn > 0)) return;
    const set = this.deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    this.reauthTimer = set(() => {
      this.reauthTimer = null;
      this.deps.getToken().then((token) => {
        if (this.socket === socket && socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'auth', access_token: token }));
      }, () => undefined);
    }, Math.max(1000, expiresIn * 1000 * REAUTH_AT));
  }

  private cancelReauth(): void {
    if (this.reauthTimer === null) return;
    (this.deps.clearTimer ?? ((t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>)))(this.reauthTimer);
    this.reauthTimer = null;
  }

  private scheduleReconnect(): void {
    const delay = reconnectDelay(this.attempt++, this.deps.random?.() ?? Math.random());
    const set = this.deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    this.timer = set(() => {
      this.timer = null;
      if (!this.closed && this.topics.size > 0) this.connect();
    }, delay);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    (this.deps.clearTimer ?? ((t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>)))(this.timer);
    this.timer = null;
  }

  private sendSubscribe(topic: string): void {
    let since: string | undefined;
    for (const sub of this.topics.get(topic) ?? []) since ??= sub.since?.();
    this.send(since ? { type: 'subscribe', topic, since } : { type: 'subscribe', topic });
  }

  private send(message: object): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private setLive(live: boolean): void {
    if (this.live === live) return;
    this.live = live;
    if (!live) {
      this.confirmed.clear();
      this.failed.clear();
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.statusListeners) listener(this.live);
  }

  /** Whether updates of `topic` arrive: the socket works and the server accepted the subscription. */
  isLive(topic: string): boolean {
    return this.live && this.confirmed.has(topic) && !this.failed.has(topic);
  }
}

/** ws://host/v1/ws or wss://host/v1/ws for the page's own origin. */
export function socketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/v1/ws`;
}

let shared: RealtimeClient | null = null;

/** The tab's one realtime client. */
export function getRealtime(): RealtimeClient {
  if (!shared) {
    shared = new RealtimeClient({
      url: socketUrl(location),
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      getToken: getAccessToken,
    });
    if (typeof window !== 'undefined') window.addEventListener('online', () => shared?.retryNow());
  }
  return shared;
}
