// The one shape of every decider: decide(command, state) is either a refusal
// or the events the command causes, with the Exchange commands those events
// intend. evolve(state, event) folds an event into the state.
import type { Either, Right } from 'fp-ts/lib/Either.js';
import type { DomainEvent } from './events.js';

/** A command the engine is to execute, with the id its outcome will be recorded under. */
export interface Intent<C> {
  readonly commandId: string;
  readonly command: C;
}

/**
 * What a decider accepted: the events to append, in order, and the intents
 * among them (each one also recorded by a CommandIntended in `events`), for the
 * caller to execute once the events are durable.
 */
export interface Decided<C> {
  readonly events: DomainEvent[];
  readonly commands: ReadonlyArray<Intent<C>>;
}

export interface Decider<Command, State, Failure, D extends Decided<unknown>> {
  readonly initialState: State;
  decide(command: Command, state: State): Either<Failure, D>;
  evolve(state: State, event: DomainEvent): State;
}

/** The decision of a command its decider never refuses (typed `Either<never, D>`). */
export const accepted = <D>(e: Either<never, D>): D => (e as Right<D>).right;
