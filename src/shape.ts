// Hidden classes that outlive a sync (docs/architecture.md, "Compiled code that
// outlives a sync"). V8 lets an object's hidden class go once no object has it,
// and drops the optimized code of every function compiled against it: the
// objects a full sync makes of a class (the planner's indexes and its run) got
// a new hidden class at every sync, and the per-mailbox code that reads them was
// compiled again each time. A twin, a small object made like them, is held
// until the next sync's: the class stays, and with it the code.

const twins = new Map<string, object>();

/** Holds `twin` (made by the same constructor as the sync's objects of `kind`) in place of the last one. */
export function holdShape(kind: string, twin: object): void {
  twins.set(kind, twin);
}
