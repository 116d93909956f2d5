// A store whose appends a test sees or refuses, every other call going to the store it wraps.
import type { AppendRequest, EventStore } from '../../src/ports.js';

/** `inner` with `append` in front of its own (`next` is the inner store's append). */
export function withAppend(
  inner: EventStore,
  append: (requests: readonly AppendRequest[], next: EventStore['append']) => ReturnType<EventStore['append']>,
): EventStore {
  return {
    ...inner,
    readStream: (stream, options) => inner.readStream(stream, options),
    readAll: (options) => inner.readAll(options),
    close: () => inner.close(),
    append: (requests) => append(requests, (r) => inner.append(r)),
  };
}
