// The status listener's address (`status.listen`): `host:port` or `[v6]:port`,
// read strictly so a bad value is a config error rather than a crash at bind.
import { isIP } from 'node:net';

export interface ListenAddress {
  /** Host as written, without IPv6 brackets. */
  readonly host: string;
  /** 0 picks a free port (useful in tests); otherwise 1..65535. */
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The address, or a message saying what is wrong with it. */
export function parseListen(s: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return 'expected host:port (e.g. 127.0.0.1:8089, or [::1]:8089)';
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return `port ${port} is out of range (1 to 65535, or 0 for any free port)`;
  if (m[1] !== undefined && isIP(host) !== 6) return `"[${host}]" is not an IPv6 address`;
  if (m[2] !== undefined && isIP(host) === 0 && !HOSTNAME.test(host)) return `"${host}" is not a host name or IP address`;
  return { host, port };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.x, and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}
