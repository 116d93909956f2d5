// The console's view of a log: the replay projections (the same fold as
// `eas-sync replay`), the console's history fold and the device index, built in
// one pass and rebuilt when the log grows. Requests never wait for a rebuild
// once a first model exists: they get the previous one until the new one is done.
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import { createReplay, type ReplayResult } from '../../projections/replay.js';
import { createHistoryFold, type History } from './history.js';
import { deviceIndex, type DeviceIndex } from './devices.js';
import type { ConsoleLog, ReadFailure } from './source.js';

export interface ConsoleModel {
  readonly replay: ReplayResult;
  readonly history: History;
  readonly devices: DeviceIndex;
  readonly invalidLines: number;
  /** When this model was folded (ms since the epoch), and how long it took. */
  readonly foldedAt: number;
  readonly foldMs: number;
}

async function buildModel(log: ConsoleLog, now: () => number): Promise<Either<ReadFailure, ConsoleModel>> {
  const started = now();
  const replay = createReplay();
  const history = createHistoryFold();
  const folded = await log.fold((e, slot) => {
    replay.push(e, slot);
    history.push(e);
  });
  if (isLeft(folded)) return folded;
  const r = replay.result();
  const devices = deviceIndex(r.state.deviceAccess, history.history.users);
  const done = now();
  return right({
    replay: r,
    history: history.history,
    devices,
    invalidLines: folded.right.invalidLines,
    foldedAt: done,
    foldMs: done - started,
  });
}

export interface ModelCache {
  /** The newest model; the first call waits for the first fold. */
  current(): Promise<Either<ReadFailure, ConsoleModel>>;
}

/** Refold when the log's version changes, or every `refreshMs` when the log cannot tell its version. */
export function modelCache(log: ConsoleLog, now: () => number, refreshMs = 15_000): ModelCache {
  let model: ConsoleModel | undefined;
  let version: string | undefined;
  let building: Promise<Either<ReadFailure, ConsoleModel>> | undefined;
  const rebuild = (v: string | undefined) => {
    building ??= buildModel(log, now).then((m) => {
      building = undefined;
      if (!isLeft(m)) {
        model = m.right;
        version = v;
      }
      return m;
    });
    return building;
  };
  return {
    async current() {
      const v = await log.version();
      const stale = model === undefined || (v === undefined ? now() - model.foldedAt > refreshMs : v !== version);
      if (!stale) return right(model!);
      const pending = rebuild(v);
      return model === undefined ? pending : right(model);
    },
  };
}
