// Given/when/then for deciders: given these events (the stream so far), when
// this command, then exactly these events — or this refusal. The state is
// folded from the given events by the decider's own evolve, so a test reads as
// a piece of the domain's specification: a history, a command, what follows.
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { Decided } from '../../src/decider.js';
import type { DomainEvent } from '../../src/events.js';

/** A given event, optionally with the moment its envelope records (evolve reads `at` for decisions). */
export type Given = DomainEvent & { readonly at?: string };

export interface DeciderUnderTest<Command, State, Failure, D extends Decided<unknown>> {
  readonly initialState: State;
  decide(command: Command, state: State): Either<Failure, D>;
  evolve(state: State, event: DomainEvent): State;
}

export interface When<Failure, D> {
  /** Asserts the command is accepted with exactly `events` (whole events, in order); returns the decision. */
  then(events: readonly DomainEvent[]): D;
  /** Asserts the command is refused with exactly `failure`. */
  thenFails(failure: Failure): void;
  /** The raw answer, for what a test checks beyond the events. */
  readonly answer: Either<Failure, D>;
}

export function specify<Command, State, Failure, D extends Decided<unknown>>(decider: DeciderUnderTest<Command, State, Failure, D>) {
  const stateOf = (events: readonly Given[]): State => events.reduce((s, e) => decider.evolve(s, e), decider.initialState);
  return {
    /** The state a history folds to. */
    stateOf,
    given(...events: Given[]) {
      const state = stateOf(events);
      return {
        state,
        when(command: Command): When<Failure, D> {
          const answer = decider.decide(command, state);
          return {
            answer,
            then(expected) {
              if (isLeft(answer)) assert.unreachable(`refused: ${JSON.stringify(answer.left)}`);
              const d = (answer as { right: D }).right;
              assert.equal(d.events, expected);
              return d;
            },
            thenFails(failure) {
              if (isRight(answer)) assert.unreachable(`accepted with ${JSON.stringify(answer.right.events.map((e) => e.type))}`);
              assert.equal((answer as { left: Failure }).left, failure);
            },
          };
        },
      };
    },
  };
}
