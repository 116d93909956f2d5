// A loopback https stand-in for the Microsoft identity platform's client
// credentials grant: instance discovery, OpenID metadata and the token
// endpoint, enough for msal-node's ConfidentialClientApplication. The token
// endpoint checks client id and secret and hands out `token`.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCert } from './tls.js';

export interface TokenServerOptions {
  readonly host: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly token: string;
  readonly cert: TestCert;
}

export class TokenServer {
  readonly requests: Array<{ method: string; path: string; body: string }> = [];
  private server?: Server;
  constructor(private readonly o: TokenServerOptions) {}
  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }
  get tokenRequests(): number {
    return this.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
  }

  async start(): Promise<this> {
    const { host, tenant } = this.o;
    const base = `https://${host}/${tenant}`;
    this.server = createServer({ key: this.o.cert.key, cert: this.o.cert.cert }, (req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', `https://${host}`);
        this.requests.push({ method: req.method ?? '', path: url.pathname, body });
        const json = (status: number, v: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (url.pathname.endsWith('/discovery/instance')) {
          return json(200, {
            tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
            'api-version': '1.1',
            metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
          });
        }
        if (url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
          return json(200, {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            issuer: `https://${host}/${tenant}/v2.0`,
            jwks_uri: `${base}/discovery/v2.0/keys`,
            response_types_supported: ['code'],
            subject_types_supported: ['pairwise'],
            id_token_signing_alg_values_supported: ['RS256'],
            scopes_supported: ['openid'],
          });
        }
        if (url.pathname === `/${tenant}/oauth2/v2.0/token` && req.method === 'POST') {
          const form = new URLSearchParams(body);
          if (form.get('client_id') !== this.o.clientId || form.get('client_secret') !== this.o.clientSecret) {
            return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
          }
          return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: this.o.token });
        }
        json(404, { error: 'not_found' });
      });
    });
    await new Promise<void>((res) => this.server!.listen(0, '127.0.0.1', res));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((res) => this.server?.close(() => res()) ?? res());
  }
}
