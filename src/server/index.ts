export { buildApp } from "./app.ts";
export { type RunningServer, type ServeOptions, startServer } from "./serve.ts";
