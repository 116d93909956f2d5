// A Notifier that records what it sends and fails on demand.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Notification, Notifier, NotifyError } from '../../src/ports.js';

export class RecordingNotifier implements Notifier {
  /** Successfully sent notifications, in order. */
  readonly sent: Notification[] = [];
  /** Every send attempt, failed ones included. */
  attempts = 0;
  private failures = 0;
  private failureMessage = 'SMTP 451 4.4.0 temporary server error';

  constructor(private readonly latencyMs = 0) {}

  /** The next `n` sends return Left sendFailed. */
  failNext(n: number, message?: string): void {
    this.failures += Math.max(0, n);
    if (message !== undefined) this.failureMessage = message;
  }

  send(notification: Notification): Promise<Either<NotifyError, void>> {
    this.attempts++;
    const fail = this.failures > 0;
    if (fail) this.failures--;
    const finish = (): Either<NotifyError, void> => {
      if (fail) return left({ kind: 'sendFailed', message: this.failureMessage });
      this.sent.push({ ...notification });
      return right(undefined);
    };
    if (this.latencyMs <= 0) return Promise.resolve(finish());
    return new Promise((resolve) => setTimeout(() => resolve(finish()), this.latencyMs));
  }
}
