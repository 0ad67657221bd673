// A WebSocket client for the system tests of /v1/ws (docs/formats/realtime.md).
import assert from "node:assert/strict";
import WebSocket from "ws";

/** A WebSocket client that queues what it receives. */
export class Client {
  readonly messages: any[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      assert.equal(isBinary, false, "the server sends text only");
      this.messages.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("error", () => {}); // surfaced through `closed`
  }

  /** Connects; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const c = new Client(ws);
      ws.once("open", () => resolve(c));
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once("error", reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** The next message (in order), or throws after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no message within " + timeoutMs + " ms");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages.shift();
  }

  /** Sends `msg` and returns the next message. */
  async request(msg: unknown): Promise<any> {
    this.send(msg);
    return this.next();
  }

  async closeAndWait(): Promise<void> {
    this.ws.close(1000);
    await this.closed;
  }
}

