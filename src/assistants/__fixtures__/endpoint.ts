/**
 * A local HTTP endpoint for tests of HTTP functions: it records every request it gets (method,
 * path, headers, body), and its route plays the function's API (by default an order's status).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** Answers every request with an order that has shipped. */
export const ORDER_SHIPPED: Route = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end('{"status":"shipped","eta":"tomorrow"}');
};

export function endpoint(route: Route = ORDER_SHIPPED) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      route(req, res, body);
    });
  });
  return {
    seen,
    server,
    /** Listens on 127.0.0.1 at a free port; the port. */
    start: () =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
