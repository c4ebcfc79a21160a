/**
 * `/v1/responses` with `stream: true`: server-sent events named by their `type` (`event:` and the
 * JSON's `type` agree), numbered from 0 by `sequence_number`, in OpenAI's order: response.created,
 * response.in_progress, the output items each opened (output_item.added), filled (content parts
 * and text deltas, function call arguments) and closed (output_item.done), then
 * response.completed or response.incomplete; `error` ends a stream that failed. Tailor adds
 * `tailor.function_call.*` around each HTTP function the server calls for an assistant.
 */
import { z } from "@hono/zod-openapi";
import { FunctionCallRecord } from "../assistants.ts";
import {
  FileCitationAnnotation,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputRefusal,
  ResponseOutputText,
} from "./responses.ts";

const seq = { sequence_number: z.number().int() };
const itemAt = { item_id: z.string(), output_index: z.number().int() };
const partAt = { ...itemAt, content_index: z.number().int() };
const ContentPart = z.discriminatedUnion("type", [ResponseOutputText, ResponseOutputRefusal]);
const whole = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), response: ResponseObject, ...seq });
const item = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    output_index: z.number().int(),
    item: ResponseOutputItem,
    ...seq,
  });
const search = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), ...itemAt, ...seq });

export const ResponseStreamEvent = z.discriminatedUnion("type", [
  whole("response.created"),
  whole("response.in_progress"),
  whole("response.completed"),
  whole("response.incomplete"),
  item("response.output_item.added"),
  item("response.output_item.done"),
  search("response.file_search_call.in_progress"),
  search("response.file_search_call.searching"),
  search("response.file_search_call.completed"),
  z.object({
    type: z.literal("response.content_part.added"),
    part: ContentPart,
    ...partAt,
    ...seq,
  }),
  z.object({ type: z.literal("response.content_part.done"), part: ContentPart, ...partAt, ...seq }),
  z.object({
    type: z.literal("response.output_text.delta"),
    delta: z.string(),
    logprobs: z.array(z.never()),
    ...partAt,
    ...seq,
  }),
  z.object({
    type: z.literal("response.output_text.annotation.added"),
    annotation_index: z.number().int(),
    annotation: FileCitationAnnotation,
    ...partAt,
    ...seq,
  }),
  z.object({
    type: z.literal("response.output_text.done"),
    text: z.string(),
    logprobs: z.array(z.never()),
    ...partAt,
    ...seq,
  }),
  z.object({ type: z.literal("response.refusal.delta"), delta: z.string(), ...partAt, ...seq }),
  z.object({ type: z.literal("response.refusal.done"), refusal: z.string(), ...partAt, ...seq }),
  z.object({
    type: z.literal("response.function_call_arguments.delta"),
    delta: z.string(),
    ...itemAt,
    ...seq,
  }),
  z.object({
    type: z.literal("response.function_call_arguments.done"),
    name: z.string(),
    arguments: z.string(),
    ...itemAt,
    ...seq,
  }),
  /** Tailor: the server is calling an assistant's HTTP function. */
  z.object({
    type: z.literal("tailor.function_call.in_progress"),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
    ...seq,
  }),
  /** Tailor: the call ended; its result went back to the model. */
  z.object({ type: z.literal("tailor.function_call.completed"), call: FunctionCallRecord, ...seq }),
  /** The answer failed: the last event of the stream. */
  z.object({
    type: z.literal("error"),
    code: z.string().nullable(),
    message: z.string(),
    param: z.string().nullable(),
    ...seq,
  }),
]);
export type ResponseStreamEvent = z.infer<typeof ResponseStreamEvent>;
