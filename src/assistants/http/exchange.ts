/**
 * One HTTP exchange with node:http(s), connected to the addresses the guard checked: the
 * connection's `lookup` answers with them instead of asking DNS again (DNS rebinding), while the
 * Host header and the TLS server name (and certificate check) stay the URL's host. No agent pool
 * (each call its own connection), no proxy, no redirect followed: a 3xx comes back as it is.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { type CappedBody, readCapped } from "./body.ts";
import type { ResolvedAddress } from "./guard.ts";
import type { BuiltRequest } from "./request.ts";

export interface Exchanged {
  status: number;
  statusText: string;
  contentType: string | undefined;
  location: string | undefined;
  /** Empty for a redirect (its body is not read). */
  body: CappedBody;
}

/** A `lookup` that answers with the checked addresses only (of the family asked, when one is). */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    const list: LookupAddress[] = addresses.filter((a) => !family || a.family === family);
    const first = list[0];
    if (!first) {
      const err: NodeJS.ErrnoException = new Error(
        `no IPv${family} address checked for ${hostname}`,
      );
      err.code = "ENOTFOUND";
      callback(err, "", 0);
      return;
    }
    if (options.all) callback(null, list);
    else callback(null, first.address, first.family);
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status);
}

/**
 * Sends the request to `port` on the checked addresses and reads up to `cap` bytes of the answer.
 * Rejects on a network failure or when `signal` aborts (with the signal's reason).
 */
export function exchange(
  request: BuiltRequest,
  target: { hostname: string; port: number; addresses: ResolvedAddress[] },
  cap: number,
  signal: AbortSignal,
): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const client = request.url.protocol === "https:" ? https : http;
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== null) headers["content-length"] = Buffer.byteLength(request.body);
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      req.destroy();
      reject(e);
    };
    const onAbort = () => fail(signal.reason);
    const req = client.request({
      protocol: request.url.protocol,
      hostname: target.hostname,
      port: target.port,
      path: `${request.url.pathname}${request.url.search}`,
      method: request.method,
      headers,
      lookup: pinnedLookup(target.addresses),
      agent: false,
      // SNI and the certificate check use the name (an IP literal has no SNI).
      ...(request.url.protocol === "https:" && isIP(target.hostname) === 0
        ? { servername: target.hostname }
        : {}),
    });
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("error", fail);
    req.on("response", (res) => {
      const head = {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? "",
        contentType: res.headers["content-type"],
        location: res.headers.location,
      };
      if (isRedirect(head.status)) {
        res.destroy();
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve({ ...head, body: { bytes: Buffer.alloc(0), cut: false } });
        return;
      }
      readCapped(res, cap).then((body) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve({ ...head, body });
      }, fail);
    });
    req.end(request.body ?? undefined);
  });
}
