// A loopback HTTP proxy that only tunnels (CONNECT), as corporate proxies do
// for https, and requires `Proxy-Authorization: Basic …`. It records every
// CONNECT (target, whether the credentials were right) and never dials out of
// the machine: a target that is not loopback is answered 403 unless `routes`
// maps it to a loopback address (so a test can send "login.example.com:443"
// to a local stand-in).
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';

export interface ProxyRecord {
  readonly target: string;
  /** Credentials as received (decoded), or undefined when none were sent. */
  readonly user?: string;
  readonly authorized: boolean;
}

export interface ConnectProxyOptions {
  readonly username: string;
  readonly password: string;
  /** `host:port` -> `127.0.0.1:port` */
  readonly routes?: Readonly<Record<string, string>>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/;

export class ConnectProxy {
  readonly records: ProxyRecord[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly o: ConnectProxyOptions) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }
  /** Tunnels opened (authorized CONNECTs). */
  get tunnels(): number {
    return this.records.filter((r) => r.authorized).length;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.onClient(client));
    await new Promise<void>((res) => this.server!.listen(0, '127.0.0.1', res));
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => this.server?.close(() => res()) ?? res());
  }

  private onClient(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => {
      /* the client went away */
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16_384) client.destroy();
        return;
      }
      client.off('data', onData);
      const rest = head.subarray(end + 4);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method, target] = (lines[0] ?? '').split(' ');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      this.handle(client, method ?? '', target ?? '', headers, rest);
    };
    client.on('data', onData);
  }

  private handle(client: Socket, method: string, target: string, headers: Map<string, string>, rest: Buffer): void {
    const reply = (status: string, extra: string[] = []) => {
      client.end([`HTTP/1.1 ${status}`, 'Content-Length: 0', 'Connection: close', ...extra, '', ''].join('\r\n'));
    };
    if (method !== 'CONNECT') {
      reply('405 Method Not Allowed');
      return;
    }
    const auth = headers.get('proxy-authorization');
    let user: string | undefined;
    let pass: string | undefined;
    const m = /^Basic\s+(.+)$/i.exec(auth ?? '');
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      user = decoded.slice(0, i);
      pass = decoded.slice(i + 1);
    }
    const authorized = user === this.o.username && pass === this.o.password;
    this.records.push({ target, ...(user !== undefined ? { user } : {}), authorized });
    if (!authorized) {
      reply('407 Proxy Authentication Required', ['Proxy-Authenticate: Basic realm="corp"']);
      return;
    }
    const dest = this.o.routes?.[target] ?? target;
    if (!LOOPBACK.test(dest)) {
      reply('403 Forbidden');
      return;
    }
    const i = dest.lastIndexOf(':');
    const upstream = connect(Number(dest.slice(i + 1)), dest.slice(0, i).replace(/^\[|\]$/g, ''));
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => {
      if (client.writable) reply('502 Bad Gateway');
    });
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on('close', () => upstream.destroy());
  }
}
