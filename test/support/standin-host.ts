// Serves a FakeExchange (the simulated organization, its sessions and faults) to
// the PowerShell stand-in for Exchange (ExchangeStandIn.psm1) over loopback TCP,
// so that every pwsh process of a test sees one Exchange. One connection per
// remote session: the stand-in's New-PSSession opens it, its Remove-PSSession
// ends it; a connection that closes without that (the pwsh process was killed)
// leaves the session abandoned, as Exchange would.
//
// One JSON object per line each way, every string as base64 of its UTF-16 code
// units (the protocol's wire strings), so values arrive exactly (lone surrogates
// included) and PowerShell 7's ConvertFrom-Json never turns one into a DateTime.
//   -> {"t":"connect","req":{server,authentication,username?,password?,script,argv,pid,envHasPassword}}
//   <- {"session":n,"result":ConnectResult}
//   -> {"t":"call","op":"Set-CasMailbox","splat":{...}}     <- {"result":CmdletResult,"fault"?:Fault}
//   -> {"t":"remove"}                                        <- {}
import * as net from 'node:net';
import { fromWireString, toWireString } from '../../adapters/powershell/protocol.js';
import type { ConnectRequest, FakeExchange } from './fake-exchange.js';
import type { PsValue } from '../../adapters/powershell/protocol.js';

export interface StandInHost {
  readonly port: number;
  readonly fake: FakeExchange;
  /** pids of the pwsh processes that connected, by session. */
  readonly pids: Map<number, number>;
  close(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every string (not keys) to a wire string. */
export function encodeStrings(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return toWireString(v);
  if (typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(encodeStrings);
  if (typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = encodeStrings(x);
    return out;
  }
  throw new Error(`cannot encode ${typeof v}`);
}

/** Inverse of encodeStrings. */
export function decodeStrings(v: unknown): PsValue {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return fromWireString(v);
  if (Array.isArray(v)) return v.map(decodeStrings);
  if (typeof v === 'object') {
    const out: Record<string, PsValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = decodeStrings(x);
    return out;
  }
  throw new Error(`cannot decode ${typeof v}`);
}

export async function startStandInHost(fake: FakeExchange): Promise<StandInHost> {
  const sockets = new Set<net.Socket>();
  const pids = new Map<number, number>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    let session: number | undefined;
    let removed = false;
    let buf = '';
    // requests are answered in order (the stand-in waits for each answer)
    let chain = Promise.resolve();
    const reply = (o: object) => {
      if (!socket.destroyed) socket.write(JSON.stringify(o) + '\n');
    };
    const handle = async (line: string) => {
      const m = JSON.parse(line) as { t: string; op?: string; splat?: unknown; req?: Record<string, unknown> };
      if (m.t === 'connect') {
        const r = decodeStrings(m.req) as unknown as Record<string, unknown>;
        const req: ConnectRequest = {
          server: String(r['server']),
          authentication: String(r['authentication']),
          ...(typeof r['username'] === 'string' ? { username: r['username'] } : {}),
          ...(typeof r['password'] === 'string' ? { password: r['password'] } : {}),
          script: String(r['script'] ?? ''),
          argv: (r['argv'] as string[] | null) ?? [],
          pid: Number(r['pid']),
          envHasPassword: r['envHasPassword'] === true,
        };
        const c = fake.connect(req);
        if (c.result.ok) {
          session = c.session;
          pids.set(c.session, req.pid);
        }
        reply({ session: c.session, result: encodeStrings(c.result) });
      } else if (m.t === 'call') {
        const splat = decodeStrings(m.splat ?? {}) as Record<string, PsValue>;
        const r = await fake.call(session ?? -1, String(m.op), splat);
        reply({ result: encodeStrings(r.result), ...(r.fault ? { fault: encodeStrings(r.fault) } : {}) });
      } else if (m.t === 'remove') {
        if (session !== undefined) fake.remove(session);
        removed = true;
        reply({});
      } else {
        reply({ error: toWireString(`unknown message ${String(m.t)}`) });
      }
    };
    socket.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        chain = chain.then(() => handle(line)).catch((e: unknown) => reply({ error: toWireString(String((e as Error)?.message ?? e)) }));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (session !== undefined && !removed) fake.drop(session);
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    fake,
    pids,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
