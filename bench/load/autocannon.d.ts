/** The part of autocannon 9's API the load test uses (the package ships no types). */
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface Histogram {
    average: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    total: number;
  }
  export interface Result {
    latency: Histogram;
    requests: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  export interface Client extends EventEmitter {
    on(
      event: "headers",
      listener: (opts: { statusCode: number; headers: (string | Buffer)[] }) => void,
    ): this;
    on(event: "body", listener: (chunk: Buffer) => void): this;
    on(
      event: "response",
      listener: (statusCode: number, bytes: number, durationMs: number) => void,
    ): this;
  }
  export interface Options {
    url: string;
    connections?: number;
    amount?: number;
    duration?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupClient?: (client: Client) => void;
  }
  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }
  export default function autocannon(opts: Options): Instance;
}
