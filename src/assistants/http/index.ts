/**
 * HTTP functions: the server calls the endpoint itself and gives the model the answer. A call never
 * throws; its record's `status` says what happened and `output` is what the model is told:
 *
 * - `invalid_arguments`: the arguments are not JSON or not valid against the function's parameters
 *   (or lack a `{name}` the URL needs); no request is made;
 * - `refused`: the network guard (guard.ts) refused the URL or a redirect hop: scheme, host not in
 *   the allowed hosts, an address that is not public unicast, a redirect to another scheme, host or
 *   port, more than 3 redirects;
 * - `ok`: a 2xx answer, its body as text (JSON kept as its text);
 * - `too_large`: a 2xx answer whose body is longer than `max_response_bytes`. The rule: the body is
 *   read as a stream and never past the cap; the model still gets the first `max_response_bytes`
 *   bytes followed by `[cut at N bytes]`, and the status tells the owner the answer was cut;
 * - `http_error`: any other status (or a redirect without a Location), with `http_status` and the
 *   body's first 1024 bytes;
 * - `timeout`: no complete answer within `timeout_ms` (DNS, connection, redirects and body together);
 * - `failed`: the network failed (refused connection, reset, TLS, unresolvable name), the function's
 *   definition is unusable (an invalid header value), or the caller's signal aborted the call.
 *
 * Redirects are never followed blindly: one to the same scheme, host and port is followed (at most
 * 3 hops, each guarded again, 303 and a POST's 301/302 become a GET without body). Header values
 * (secret or not) never appear in an output, a message or a log; a secret value the endpoint echoes
 * back is replaced by `[redacted]` before the model sees it.
 */
import type { FunctionCallRecord, FunctionCallStatus } from "../../../protocol/assistants.ts";
import { checkCallArguments } from "../../tools/arguments.ts";
import type { NetworkPolicy, RuntimeHttpFunction } from "../types.ts";
import { bodyText, decodeText } from "./body.ts";
import { exchange, isRedirect } from "./exchange.ts";
import { checkDestination } from "./guard.ts";
import { type BuiltRequest, buildRequest } from "./request.ts";

export { checkDestination, hostMatches } from "./guard.ts";

export const MAX_REDIRECTS = 3;
/** Of a non-2xx answer, the model is shown this much of the body at most. */
const ERROR_BODY_BYTES = 1024;

export async function callHttpFunction(
  fn: RuntimeHttpFunction,
  call: { call_id: string; arguments: string },
  network: NetworkPolicy,
  signal?: AbortSignal,
): Promise<FunctionCallRecord> {
  const started = performance.now();
  const secrets = fn.headers.filter((h) => h.secret).map((h) => h.value);
  const allValues = fn.headers.map((h) => h.value);
  const record = (
    status: FunctionCallStatus,
    output: string,
    http_status: number | null = null,
  ): FunctionCallRecord => ({
    call_id: call.call_id,
    name: fn.name,
    arguments: call.arguments,
    kind: "http",
    status,
    http_status,
    duration_ms: Math.round(performance.now() - started),
    output: redact(output, secrets),
  });

  const tool = {
    type: "function" as const,
    function: { name: fn.name, parameters: fn.parameters },
  };
  const problem = checkCallArguments(
    [tool],
    { name: fn.name, arguments: call.arguments },
    "arguments",
  );
  if (problem)
    return record(
      "invalid_arguments",
      `Invalid arguments: ${problem.message}. Call ${fn.name} again with arguments that match its parameters.`,
    );
  // Checked above: a JSON object valid against the function's parameters.
  const built = buildRequest(fn, JSON.parse(call.arguments) as Record<string, unknown>);
  if (!built.ok)
    return built.fault === "arguments"
      ? record("invalid_arguments", `Invalid arguments: ${built.message}.`)
      : record("failed", `The function cannot be called: ${built.message}.`);

  const policy = effectivePolicy(fn, network);
  const timeout = AbortSignal.timeout(fn.timeout_ms);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let request = built.request;
  try {
    for (let hop = 0; ; hop++) {
      const verdict = await untilAborted(checkDestination(request.url, policy), combined);
      if (!verdict.ok)
        return record(verdict.kind === "refused" ? "refused" : "failed", verdict.reason);
      const answer = await exchange(request, verdict, fn.max_response_bytes, combined);
      if (isRedirect(answer.status) && answer.location !== undefined) {
        let next: URL;
        try {
          next = new URL(answer.location, request.url);
        } catch {
          return record(
            "http_error",
            `HTTP ${answer.status} redirected to an invalid URL`,
            answer.status,
          );
        }
        if (next.origin !== request.url.origin)
          return record(
            "refused",
            `The function redirected to another host (${next.protocol}//${next.host}); only redirects to the same scheme, host and port are followed.`,
            answer.status,
          );
        if (hop >= MAX_REDIRECTS)
          return record(
            "refused",
            `The function redirected more than ${MAX_REDIRECTS} times.`,
            answer.status,
          );
        request = redirected(request, next, answer.status);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        const text = bodyText(answer.body, answer.contentType);
        return record(
          answer.body.cut ? "too_large" : "ok",
          text === "" ? `(an empty answer, HTTP ${answer.status})` : text,
          answer.status,
        );
      }
      const start = decodeText(answer.body.bytes.subarray(0, ERROR_BODY_BYTES));
      const more = answer.body.bytes.length > ERROR_BODY_BYTES || answer.body.cut ? " [...]" : "";
      const reason = answer.statusText ? ` ${answer.statusText}` : "";
      return record(
        "http_error",
        `The function answered HTTP ${answer.status}${reason}${start ? `: ${start}${more}` : ""}`,
        answer.status,
      );
    }
  } catch (e) {
    if (combined.aborted && combined.reason === timeout.reason)
      return record("timeout", `The function did not answer within ${fn.timeout_ms} ms.`);
    if (combined.aborted)
      return record(
        "failed",
        "The call was cancelled: the answer was stopped before the function answered.",
      );
    return record(
      "failed",
      `The request to ${request.url.host} failed: ${redact(failure(e), allValues)}.`,
    );
  }
}

/** The assistant's allowed hosts; when it lists none, the function's own host (as the settings say). */
function effectivePolicy(fn: RuntimeHttpFunction, network: NetworkPolicy): NetworkPolicy {
  if (network.allowedHosts.length > 0) return network;
  try {
    return { ...network, allowedHosts: [new URL(fn.url).host] };
  } catch {
    return network;
  }
}

/** The next hop's request: 303 (and 301/302 after a POST) turn into a GET without body, as browsers do. */
function redirected(request: BuiltRequest, url: URL, status: number): BuiltRequest {
  const toGet = status === 303 || ((status === 301 || status === 302) && request.method === "POST");
  if (!toGet || request.method === "GET") return { ...request, url };
  const { "content-type": _dropped, ...headers } = request.headers;
  return { url, method: "GET", headers, body: null };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function failure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = err?.message || String(e);
  return err?.code && !message.includes(err.code) ? `${message} (${err.code})` : message;
}

/** Every value (4 characters or more) replaced by `[redacted]`. */
function redact(text: string, values: string[]): string {
  let out = text;
  for (const value of values) if (value.length >= 4) out = out.split(value).join("[redacted]");
  return out;
}
