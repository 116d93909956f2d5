// Runs Exchange commands with bounded parallelism over remote sessions:
// at most min(parallelism, PowerShellMaxConcurrency − 2) sessions, each
// recycled before 1,000 commands or 15 minutes; a throttled command waits the
// time Exchange names and is retried (it never fails the sync for that); a
// broken session is replaced; a lost connection fails over to another CAS.
import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import type { SchedulerLike } from 'rxjs';
import type { ExchangeError, ExchangeGateway, ExchangeSession } from './ports.js';
import type { ExchangeCommand } from './commands.js';
import type { CasFailover } from './failover.js';

export interface ExecutorOptions {
  readonly exchange: ExchangeGateway;
  readonly scheduler: SchedulerLike;
  readonly now: () => number;
  readonly failover: CasFailover;
  readonly parallelism: number;
  /** The account's PowerShellMaxConcurrency (default 18); two shells are left for admins. */
  readonly maxConcurrency?: number;
  readonly recycleAfterCommands?: number;
  readonly recycleAfterMs?: number;
  /** Give up on a command after this many throttle waits (default 100). */
  readonly maxThrottleWaits?: number;
  /** Called with the time one attempt of a command took, on `now`. */
  readonly onCommandTime?: (ms: number) => void;
  /** Called before and after each command (crash-test hooks); may delay. */
  readonly onStep?: (step: 'beforeCommand' | 'afterCommand', commandId: string) => Promise<void> | void;
}

export interface ExecutionCounters {
  throttleWaits: number;
  throttleWaitMs: number;
  sessionsOpened: number;
  sessionsRecycled: number;
  sessionsReplaced: number;
}

export interface WorkItem {
  readonly commandId: string;
  readonly command: ExchangeCommand;
}

/** Work that arrives while it is being done: the planner pushes, the lanes take. */
export class WorkQueue {
  private items: WorkItem[] = [];
  private head = 0;
  private closed = false;
  private waiters: Array<(w: WorkItem | undefined) => void> = [];
  // A producer waiting for the queue to drain (see `below`).
  private low: { readonly mark: number; readonly wake: () => void } | undefined;
  push(...items: WorkItem[]): void {
    for (const item of items) {
      const w = this.waiters.shift();
      if (w) w(item);
      else this.items.push(item);
    }
  }
  /** Lanes waiting for work now. */
  get idle(): number {
    return this.waiters.length;
  }
  /** Items queued and not yet taken. */
  get pending(): number {
    return this.items.length - this.head;
  }
  /**
   * Resolves once fewer than `mark` items are pending (at once if they already are), or the queue is closed.
   * One producer at a time.
   */
  below(mark: number): Promise<void> {
    if (this.pending < mark || this.closed) return Promise.resolve();
    return new Promise((wake) => {
      this.low = { mark, wake };
    });
  }
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    this.wakeProducer();
  }
  /** The next item if one is queued now (undefined otherwise: it does not wait). */
  take(): WorkItem | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head]!;
    // A taken item is not kept: a sync's commands would otherwise all live until its end.
    this.items[this.head++] = undefined as unknown as WorkItem;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.low !== undefined && this.pending < this.low.mark) this.wakeProducer();
    return item;
  }
  next(): Promise<WorkItem | undefined> {
    const item = this.take();
    if (item !== undefined) return Promise.resolve(item);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((res) => this.waiters.push(res));
  }
  private wakeProducer(): void {
    const low = this.low;
    this.low = undefined;
    low?.wake();
  }
  static of(items: readonly WorkItem[]): WorkQueue {
    const q = new WorkQueue();
    q.push(...items);
    q.close();
    return q;
  }
}

export const sessionCount = (parallelism: number, maxConcurrency = 18) => Math.max(1, Math.min(parallelism, maxConcurrency - 2));

export function createExecutor(o: ExecutorOptions) {
  const recycleAfterCommands = o.recycleAfterCommands ?? 990;
  const recycleAfterMs = o.recycleAfterMs ?? 14 * 60_000;
  const maxWaits = o.maxThrottleWaits ?? 100;
  const counters: ExecutionCounters = { throttleWaits: 0, throttleWaitMs: 0, sessionsOpened: 0, sessionsRecycled: 0, sessionsReplaced: 0 };
  const wait = (ms: number) =>
    new Promise<void>((res) => {
      o.scheduler.schedule(() => res(), ms);
    });

  interface Lane {
    session?: ExchangeSession;
    commands: number;
    openedAt: number;
  }

  async function openLane(lane: Lane): Promise<Either<ExchangeError, ExchangeSession>> {
    for (let waits = 0; ; waits++) {
      const r = await o.exchange.openSession!();
      if (!isLeft(r)) {
        counters.sessionsOpened++;
        lane.session = r.right;
        // A session the gateway reused has done some of its work already.
        lane.commands = r.right.used?.commands ?? 0;
        lane.openedAt = o.now() - (r.right.used?.ageMs ?? 0);
        return r;
      }
      if (r.left.kind === 'throttled' && waits < maxWaits) {
        counters.throttleWaits++;
        counters.throttleWaitMs += r.left.waitMs;
        await wait(r.left.waitMs);
        continue;
      }
      if (r.left.kind === 'connectionLost' && (await o.failover.recover(r.left.server ?? o.failover.current, r.left.message))) continue;
      return r;
    }
  }

  const due = (lane: Lane): boolean => lane.commands >= recycleAfterCommands || o.now() - lane.openedAt >= recycleAfterMs;

  /** Gives the lane's session back; `retire`: it is recycled or broken, never to be handed out again. */
  async function closeLane(lane: Lane, retire = false): Promise<void> {
    const s = lane.session;
    lane.session = undefined;
    if (s) await (retire ? s.close({ retire }) : s.close());
  }

  /** Whether running a command twice does no more than running it once (every command but a wipe or a removal). */
  const retrySafe = (c: ExchangeCommand): boolean => c.kind !== 'clearMobileDevice' && c.kind !== 'removeMobileDevice';

  /** One command on a lane (or on the gateway when it has no sessions), with every retry. */
  async function runOne(lane: Lane | undefined, item: WorkItem): Promise<Either<ExchangeError, void>> {
    let waits = 0;
    let failovers = 0;
    for (;;) {
      let r: Either<ExchangeError, void>;
      if (lane) {
        if (lane.session && due(lane)) {
          counters.sessionsRecycled++;
          await closeLane(lane, true);
        }
        for (let tries = 0; !lane.session; tries++) {
          const opened = await openLane(lane);
          if (isLeft(opened)) return left(opened.left);
          // A session the gateway reused may be due already: ended, and another asked for (a few times at most).
          if (tries < 3 && due(lane)) {
            counters.sessionsRecycled++;
            await closeLane(lane, true);
          }
        }
        lane.commands++;
        const t0 = o.now();
        r = await lane.session.execute(item.command);
        o.onCommandTime?.(o.now() - t0);
      } else {
        const t0 = o.now();
        r = await o.exchange.execute(item.command);
        o.onCommandTime?.(o.now() - t0);
      }
      if (!isLeft(r)) return r;
      const e = r.left;
      if (e.kind === 'throttled' && waits < maxWaits) {
        waits++;
        counters.throttleWaits++;
        counters.throttleWaitMs += e.waitMs;
        await wait(e.waitMs);
        continue;
      }
      // A broken session or a lost connection says nothing of whether the command ran: only a
      // command that may run twice is sent again (a wipe is not; the caller judges it on Exchange's statistics).
      const again = retrySafe(item.command);
      if (e.kind === 'sessionBroken' && lane) {
        counters.sessionsReplaced++;
        await closeLane(lane, true);
        if (again) continue;
        return r;
      }
      if (e.kind === 'connectionLost' && failovers < 3) {
        const failed = lane?.session?.server ?? e.server ?? o.failover.current;
        if (lane) await closeLane(lane, true);
        if (await o.failover.recover(failed, e.message)) {
          failovers++;
          if (again) continue;
          // Moved to a working server: the failure is this command's alone, not the connection's.
          return left({ kind: 'sessionBroken', message: e.message });
        }
      }
      return r;
    }
  }

  /**
   * Runs `items` over the lanes; `onResult` is called as each finishes (its
   * lane's next queued command already started, unless `onStep` is given). Once a
   * connection is lost for good, the remaining items are not attempted: they
   * are reported with the same error, so every intent gets its outcome.
   */
  async function run(
    work: readonly WorkItem[] | WorkQueue,
    onResult: (item: WorkItem, r: Either<ExchangeError, void>) => void,
  ): Promise<{ disconnected?: ExchangeError }> {
    const queue = work instanceof WorkQueue ? work : WorkQueue.of(work);
    let disconnected: ExchangeError | undefined;
    const useSessions = typeof o.exchange.openSession === 'function';
    const lanes = useSessions ? sessionCount(o.parallelism, o.maxConcurrency) : Math.max(1, o.parallelism);
    const worker = async () => {
      const lane: Lane | undefined = useSessions ? { commands: 0, openedAt: 0 } : undefined;
      // The lane's next command, started before the outcome of the one before it was handed over.
      let started: { readonly item: WorkItem; readonly result: Promise<Either<ExchangeError, void>> } | undefined;
      try {
        for (;;) {
          let item: WorkItem | undefined;
          let result: Promise<Either<ExchangeError, void>>;
          if (started !== undefined) {
            ({ item, result } = started);
            started = undefined;
          } else {
            item = await queue.next();
            if (item === undefined) break;
            if (disconnected) {
              onResult(item, left(disconnected));
              continue;
            }
            await o.onStep?.('beforeCommand', item.commandId);
            result = runOne(lane, item);
          }
          const r = await result;
          if (isLeft(r) && r.left.kind === 'connectionLost') disconnected = r.left;
          // The session takes its next command before this outcome is handed over: what the caller does
          // with it (a decision, an append begun) would otherwise hold the session idle, at every command.
          // Not with step hooks, which see a command's after-step before the next one's before-step.
          const next = disconnected || o.onStep ? undefined : queue.take();
          if (next !== undefined) started = { item: next, result: runOne(lane, next) };
          onResult(item, r);
          if (o.onStep) await o.onStep('afterCommand', item.commandId);
        }
      } finally {
        // onResult threw with the next command under way: it ends before its session is closed (its
        // outcome is not handed over; the sync fails, and its intent is reconciled by the next one).
        if (started !== undefined) await started.result.catch(() => undefined);
        if (lane) await closeLane(lane);
      }
    };
    await Promise.all(Array.from({ length: lanes }, worker));
    return disconnected ? { disconnected } : {};
  }

  return { run, counters };
}
