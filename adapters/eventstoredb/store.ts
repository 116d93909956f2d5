// One open store: the port's calls (appends in append.ts, reads in reads.ts, both
// over the $all index in positions.ts), the calls in flight, and closing.
import { left, right, isLeft, type Either } from 'fp-ts/lib/Either.js';
import { END, BACKWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import type { AppendRequest, AppendResult, ReadOptions, SnapshotStore, StoredEvent, StoreError } from '../../src/ports.js';
import { prepareRequests } from '../shared/log-codec.js';
import type { ConnectionInfo } from './connection.js';
import { appendPrepared, checkRequest, originOf } from './append.js';
import { describeFailure } from './errors.js';
import { Positions, type Readable, type StoreContext } from './positions.js';
import { isEmpty, readLog, readStream, start } from './reads.js';
import { esdbSnapshotStore } from './snapshots.js';
import { startSubscription, type CatchUpSubscription, type SubscribeOptions } from './subscription.js';
import type { CopiedEvent, EventStoreDbStore } from './types.js';

export class EsdbLog implements EventStoreDbStore {
  private readonly ctx: StoreContext;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closing: Promise<void> | undefined;
  private used = false;

  constructor(
    private readonly client: EventStoreDBClient,
    readonly connection: ConnectionInfo,
    private readonly connectionString: string,
    private readonly prefix: string,
  ) {
    this.ctx = {
      client,
      prefix,
      positions: new Positions(client, prefix, connection.redacted),
      failure: (e, what) => this.failure(e, what),
    };
  }

  // ---------------------------------------------------------------- port
  async append(requests: readonly AppendRequest[]): Promise<Either<StoreError, AppendResult[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    const prepared = prepareRequests(requests);
    const origins = requests.map((r) => r.events.map((e) => originOf(e as CopiedEvent)));
    prepared.forEach((r, i) => checkRequest(r, i, this.prefix));
    this.used = true;
    return this.track(appendPrepared(this.ctx, prepared, origins));
  }

  async readStream(stream: string, options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    this.used = true;
    return this.track(readStream(this.ctx, stream, start(options?.from)));
  }

  async readAll(options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track(
      (async (): Promise<Either<StoreError, StoredEvent[]>> => {
        const out: StoredEvent[] = [];
        const r = await readLog(this.ctx, start(options?.from), (e) => {
          out.push(e);
        });
        return isLeft(r) ? r : right(out);
      })(),
    );
  }

  async forEachEvent(onEvent: (event: StoredEvent) => void, options?: ReadOptions): Promise<Either<StoreError, number>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track(
      (async (): Promise<Either<StoreError, number>> => {
        let n = 0;
        const r = await readLog(this.ctx, start(options?.from), (e) => {
          n++;
          onEvent(e);
        });
        return isLeft(r) ? r : right(n);
      })(),
    );
  }

  snapshots(organization: string): SnapshotStore {
    return esdbSnapshotStore(
      {
        client: this.client,
        prefix: this.prefix,
        positions: this.ctx.positions,
        redacted: this.connection.redacted,
        failure: (e, what) => this.failure(e, what),
      },
      organization,
    );
  }

  subscribe(options: SubscribeOptions): CatchUpSubscription {
    if (this.closing !== undefined) throw new Error('subscribe: the store is closed');
    this.used = true;
    const sub = startSubscription(
      { client: this.client, prefix: this.prefix, failure: (e, what) => this.failure(e, what) },
      options,
      () => {
        this.subscriptions.delete(sub);
      },
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async isEmpty(): Promise<Either<StoreError, boolean>> {
    if (this.closing !== undefined) return left(this.closedError());
    this.used = true;
    return this.track(isEmpty(this.ctx));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5_000);
        }),
      ]);
      clearTimeout(timer);
      // dispose() waits for every call to finish; a call the server never ends must not hold close() up.
      await Promise.race([
        this.client.dispose().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2_000);
        }),
      ]);
      clearTimeout(timer);
      if (this.used) {
        // dispose() cancels the calls but leaves the channel (and its socket) open.
        const channel = (this.client as unknown as { getChannel(): Promise<{ close(): void }> }).getChannel;
        await channel().then(
          (c) => c.close(),
          () => undefined,
        );
      }
    })();
    return this.closing;
  }

  /** One small read, bounded in time: is the node there, and does it let us read $all? */
  async verify(timeoutMs: number): Promise<Either<StoreError, void>> {
    this.used = true;
    const reading = this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }) as unknown as Readable;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const done = await Promise.race([
        (async () => {
          for await (const _ of reading) {
            /* drain */
          }
          return 'ok' as const;
        })(),
        timeout,
      ]);
      if (done === 'timeout') {
        await reading.cancel().catch(() => undefined);
        return left({
          kind: 'io',
          message: `EventStoreDB ${this.connection.redacted}: no answer within ${Math.round(timeoutMs / 1000)} s`,
        });
      }
      return right(undefined);
    } catch (err) {
      return left(this.failure(err, 'cannot connect'));
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- plumbing
  private track<A>(p: Promise<A>): Promise<A> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private closedError(): StoreError {
    return { kind: 'closed', message: `EventStoreDB store ${this.connection.redacted} is closed` };
  }

  /** A client error as a StoreError; once closing, every failure is `closed`. */
  failure(err: unknown, what: string): StoreError {
    if (this.closing !== undefined) return this.closedError();
    return describeFailure(err, what, this.connection, this.connectionString);
  }
}
