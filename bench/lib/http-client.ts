// A keep-alive HTTP/1.1 client on node:http for the load generator. fetch (undici behind a
// WHATWG layer) costs the generator more CPU per request than the servers spend on it, so the
// generator would measure itself; this client is used for Vane's API and etcd's gateway alike.
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 256) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(method: string, path: string, body?: string, timeoutMs = 10_000): Promise<HttpAnswer> {
    return this.attempt(method, path, body, timeoutMs, true);
  }

  /**
   * A kept-alive socket the server closed for idleness (a Vane member after 120 s idle, its
   * keepAliveTimeout; the first put after opening 10,000 watchers once met one) just as a
   * request went out on it fails with ECONNRESET before the server read the request: sent again
   * once, on a new socket, as Node's documentation advises.
   */
  private attempt(
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    mayRetry: boolean,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(
        { agent: this.agent, host: this.host, port: this.port, method, path, headers, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && error.code === 'ECONNRESET') {
          resolve(this.attempt(method, path, body, timeoutMs, false));
        } else {
          reject(error);
        }
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
