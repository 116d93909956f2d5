// The console's ConsoleLog port filled in with the log library: file logs are
// streamed (never held), an EventStoreDB store is read through its client; the
// what-if script is quoted by the PowerShell adapter's quoting.
import { stat } from 'node:fs/promises';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { parsePolicy } from '../../src/policy.js';
import { explain as explainEvents, whatIf as whatIfEvents } from '../../projections/index.js';
import { explainFile, foldEventStoreDb, foldLogFile, whatIfFile, type ExplainFileError } from '../log/index.js';
import { decodeText, parseJsonText } from '../exports/text.js';
import { formatInputError, issuesToInputErrors } from '../shared/input-errors.js';
import { isEventStoreDbSpec } from '../shared/connection-string.js';
import { commandToPowerShell } from '../powershell/quote.js';
import type { ConsoleLog, ReadFailure } from '../console/source.js';
import { describeStoreError, displaySpec } from './store.js';

const logFailure = (message: string): ReadFailure => ({ kind: 'log', message });

function explainFailure(e: ExplainFileError): ReadFailure {
  switch (e.kind) {
    case 'unknownDevice':
      return { kind: 'notFound', message: e.message, closest: e.closest };
    case 'notYetKnown':
    case 'invalidTime':
      return { kind: 'badInput', message: e.message };
    case 'invalidLog':
      return logFailure(
        `${e.message}${
          e.errors.length
            ? `: ${e.errors
                .slice(0, 5)
                .map((x) => `line ${x.line}: ${x.message}`)
                .join('; ')}`
            : ''
        }`,
      );
    default:
      return logFailure(e.message);
  }
}

export function consoleLog(spec: string): ConsoleLog {
  const esdb = isEventStoreDbSpec(spec);
  const display = displaySpec(spec);
  /** EventStoreDB: explain and what-if fold the events in memory (the file readers stream). */
  const allEvents = async (): Promise<Either<ReadFailure, StoredEvent[]>> => {
    const events: StoredEvent[] = [];
    const r = await foldEventStoreDb(spec, (e) => void events.push(e));
    return isLeft(r) ? left(logFailure(describeStoreError(r.left))) : right(events);
  };
  return {
    display,
    async version() {
      if (esdb) return undefined;
      try {
        const s = await stat(spec);
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    },
    async fold(onEvent) {
      if (esdb) {
        const r = await foldEventStoreDb(spec, (e) => onEvent(e));
        return isLeft(r)
          ? left(logFailure(describeStoreError(r.left)))
          : right({ events: r.right.events, invalidLines: r.right.errors.length });
      }
      const r = await foldLogFile(spec, (e, head) => onEvent(e, head));
      return isLeft(r)
        ? left(logFailure(describeStoreError(r.left)))
        : right({ events: r.right.events, invalidLines: r.right.errors.length });
    },
    async explain(deviceId, at) {
      const options = at === undefined ? {} : { at };
      if (esdb) {
        const events = await allEvents();
        if (isLeft(events)) return events;
        const x = explainEvents(events.right, deviceId, options);
        return isLeft(x) ? left(explainFailure(x.left)) : right(x.right);
      }
      const x = await explainFile(spec, deviceId, options);
      return isLeft(x) ? left(explainFailure(x.left)) : right(x.right.explanation);
    },
    async whatIf(policy, at) {
      const options = at === undefined ? {} : { at };
      if (esdb) {
        const events = await allEvents();
        return isLeft(events) ? events : right(whatIfEvents(events.right, policy, options));
      }
      const r = await whatIfFile(spec, policy, options);
      if (isLeft(r)) return left(logFailure(describeStoreError(r.left)));
      if (r.right.errors.length > 0)
        return left(logFailure(`the log has invalid lines (first: line ${r.right.errors[0]!.line}: ${r.right.errors[0]!.message})`));
      return right(r.right.result);
    },
    parsePolicy(text) {
      const json = parseJsonText(decodeText(new TextEncoder().encode(text)), 'policy');
      if (isLeft(json)) return left({ kind: 'badInput', message: formatInputError(json.left) });
      const p = parsePolicy(json.right);
      if (isLeft(p)) return left({ kind: 'badInput', message: issuesToInputErrors('policy', '', p.left).map(formatInputError).join('\n') });
      return right(p.right);
    },
    powershell: commandToPowerShell,
  };
}
