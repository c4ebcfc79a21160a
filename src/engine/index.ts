export { allocatorEnv } from "./allocator.ts";
export { type DoctorReport, doctor } from "./doctor.ts";
export { type NodeRunOptions, runEngineNode } from "./node.ts";
export { ENGINE_DIR, enginePython } from "./paths.ts";
export {
  type EngineNodes,
  type EngineRunOptions,
  engineFailure,
  engineResult,
  runEngine,
} from "./process.ts";
