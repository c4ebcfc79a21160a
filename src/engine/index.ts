export { type DoctorReport, doctor } from "./doctor.ts";
export { ENGINE_DIR, enginePython } from "./paths.ts";
export { type EngineRunOptions, engineFailure, engineResult, runEngine } from "./process.ts";
