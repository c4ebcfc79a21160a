/**
 * The engine protocol: what the TypeScript side and the Python engine say to each other.
 *
 * The TypeScript side spawns `python -m tailor_engine <command>`, writes one request object as a
 * JSON line on stdin and keeps stdin open; closing stdin asks the engine to stop at the next safe
 * point (`serve` is the exception: see ServeOp below). The engine answers with one JSON object per
 * line on stdout (`hello` first), logs on stderr.
 * Python gets these definitions from generated files (see scripts/gen-protocol.ts); nobody copies
 * them by hand.
 */
export * from "./basics.ts";
export * from "./classify.ts";
export * from "./commands.ts";
export * from "./export.ts";
export * from "./messages.ts";
export * from "./names.ts";
export * from "./preference.ts";
export * from "./requests.ts";
export * from "./tools.ts";
