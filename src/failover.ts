// CAS failover (docs/domain.md): after the first successful connection the engine
// knows the organization's Client Access servers; when the one in use stops
// answering it switches to the next and records it; it returns to the primary
// once the primary answers again. Off (`casFailover: false`): a lost connection
// fails the sync.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError, ExchangeGateway } from './ports.js';

export interface CasSwitch {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export class CasFailover {
  private servers: readonly string[] = [];
  private switching: Promise<boolean> | undefined;
  private primary: string | undefined;

  constructor(
    private readonly gateway: ExchangeGateway,
    private readonly enabled: boolean,
    private readonly onSwitch: (s: CasSwitch) => void,
    /** Waits before retrying a throttled read (the time Exchange names). */
    private readonly wait: (ms: number) => Promise<void> = () => Promise.resolve(),
    private readonly maxThrottleWaits = 100,
  ) {
    this.primary = gateway.currentServer?.();
  }

  /** The organization's CAS list, as discovered (Get-ExchangeServer). */
  setServers(servers: readonly string[]): void {
    this.servers = servers;
    if (this.primary === undefined) this.primary = this.gateway.currentServer?.();
  }

  get current(): string | undefined {
    return this.gateway.currentServer?.();
  }

  /**
   * After a lost connection: switch to another known server that answers.
   * Concurrent callers share one attempt. Resolves whether a switch happened
   * (or another caller's switch already moved away from `failed`).
   */
  recover(failed: string | undefined, reason: string): Promise<boolean> {
    if (!this.enabled || !this.gateway.switchServer) return Promise.resolve(false);
    const now = this.current;
    if (failed !== undefined && now !== undefined && now.toLowerCase() !== failed.toLowerCase()) return Promise.resolve(true);
    if (!this.switching) {
      this.switching = this.trySwitch(now, reason).finally(() => {
        this.switching = undefined;
      });
    }
    return this.switching;
  }

  private async trySwitch(from: string | undefined, reason: string): Promise<boolean> {
    const start = Math.max(
      0,
      this.servers.findIndex((s) => s.toLowerCase() === (from ?? '').toLowerCase()),
    );
    for (let i = 1; i <= this.servers.length; i++) {
      const to = this.servers[(start + i) % this.servers.length]!;
      if (from !== undefined && to.toLowerCase() === from.toLowerCase()) continue;
      const r = await this.gateway.switchServer!(to);
      if (!isLeft(r)) {
        this.onSwitch({ from: from ?? '', to, reason });
        return true;
      }
    }
    return false;
  }

  /** Back to the primary when it answers again (called at the start of each sync). */
  async probePrimary(): Promise<void> {
    const now = this.current;
    if (!this.enabled || !this.gateway.switchServer || this.primary === undefined || now === undefined) return;
    if (now.toLowerCase() === this.primary.toLowerCase()) return;
    const r = await this.gateway.switchServer(this.primary);
    if (!isLeft(r)) this.onSwitch({ from: now, to: this.primary, reason: 'primary answers again' });
  }

  /** Runs a read: waits out throttling, fails over and retries while other servers answer. */
  async read<A>(call: () => Promise<Either<ExchangeError, A>>): Promise<Either<ExchangeError, A>> {
    let switches = 0;
    let waits = 0;
    for (;;) {
      const r = await call();
      if (!isLeft(r)) return r;
      if (r.left.kind === 'throttled' && waits++ < this.maxThrottleWaits) {
        await this.wait(r.left.waitMs);
        continue;
      }
      if (r.left.kind !== 'connectionLost' || switches++ > this.servers.length) return r;
      if (!(await this.recover(r.left.server ?? this.current, r.left.message))) return r;
    }
  }
}
