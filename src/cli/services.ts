/** The CLI's composition root: TAILOR_HOME's services, opened for one command and closed after it. */
import { tailorHome } from "../models/index.ts";
import { type Services, withServices } from "../services/index.ts";

export function withTailor<T>(fn: (s: Services) => T): T {
  return withServices(tailorHome(), fn);
}
