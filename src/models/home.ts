import { homedir } from "node:os";
import { join } from "node:path";

/** Where Tailor keeps its data: TAILOR_HOME, default ~/.tailor. */
export function tailorHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAILOR_HOME || join(homedir(), ".tailor");
}
