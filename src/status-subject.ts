// The engine's status$: a BehaviorSubject whose value is computed only when it
// is needed. Computing the status view counts every device's access (a pass
// over the whole state); a sync changes it at its start and end, and most
// embedders (a CLI sync, a benchmark) never listen. With no subscriber a change
// only marks the value stale; reading it or subscribing computes it then.
import { BehaviorSubject, type Observer, type Subscription } from 'rxjs';

export class LazyStatusSubject<T> extends BehaviorSubject<T> {
  private stale = false;

  constructor(private readonly compute: () => T) {
    super(compute());
  }

  /** The state changed: emitted now to subscribers, or computed when next read. */
  changed(): void {
    if (this.observed) this.next(this.compute());
    else this.stale = true;
  }

  override getValue(): T {
    this.refresh();
    return super.getValue();
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void)): Subscription;
  override subscribe(
    next?: ((value: T) => void) | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription;
  override subscribe(...args: unknown[]): Subscription {
    // A new subscriber is handed the current value, never a stale one.
    this.refresh();
    return (super.subscribe as (...a: unknown[]) => Subscription).apply(this, args);
  }

  private refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    this.next(this.compute());
  }
}
