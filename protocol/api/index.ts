/**
 * The HTTP API's bodies, in OpenAI's shapes so that the official SDKs work against Tailor, one file
 * per resource as the routes are (src/server/routes/...). The server's routes validate with these
 * and the OpenAPI document at /openapi.json is generated from them. Tailor's additions to an OpenAI
 * object live under a `tailor` field or are marked where they are defined.
 */
export * from "./assistants.ts";
export * from "./audit.ts";
export * from "./chat.ts";
export * from "./classifications.ts";
export * from "./conversations.ts";
export * from "./embeddings.ts";
export * from "./exports.ts";
export * from "./files.ts";
export * from "./fine-tuning/jobs.ts";
export * from "./fine-tuning/plan.ts";
export * from "./keys.ts";
export * from "./models.ts";
export * from "./moderations.ts";
export * from "./responses.ts";
export * from "./share.ts";
export * from "./shared.ts";
export * from "./vector-stores.ts";
