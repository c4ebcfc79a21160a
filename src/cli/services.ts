/**
 * The CLI's composition root: TAILOR_HOME's services, opened for one command and closed after it.
 * People's names in examples come from the engine's named-entity model: its process starts only if
 * the command looks for names, and stops when the command is done.
 */
import { tailorHome } from "../models/index.ts";
import { EngineNameFinder } from "../safety/index.ts";
import { type Services, withServices } from "../services/index.ts";
import { InferenceEngine } from "../serving/index.ts";

export function withTailor<T>(fn: (s: Services) => T): T {
  const engine = new InferenceEngine();
  let result: T;
  try {
    result = withServices(tailorHome(), fn, { names: new EngineNameFinder(engine) });
  } catch (e) {
    void engine.close();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => engine.close()) as T;
  void engine.close();
  return result;
}
