/**
 * The network guard of HTTP functions (SSRF), asked before every request and every redirect hop:
 *
 * 1. only `http:` and `https:` URLs;
 * 2. the URL's host must be in the assistant's allowed hosts: an exact name (`api.example.com`),
 *    `*.example.com` for its subdomains (not `example.com` itself), an IP address; an entry with a
 *    port (`api.example.com:8443`) matches that port only, one without matches any port;
 * 3. the name is resolved once (every address, `dns.promises.lookup` with `all: true`) and refused
 *    if ANY address is not public unicast (see addresses.ts), unless the admin's private hosts
 *    (`TAILOR_FUNCTION_PRIVATE_HOSTS`) hold `*`, the URL's host, or its `host:port`;
 * 4. the caller connects to the addresses checked here, never resolving the name again, so a DNS
 *    answer that changes between the check and the connection (DNS rebinding) cannot slip through.
 *
 * A refusal's reason names the host and why, for the model and the owner's audit log.
 */
import { promises as dns } from "node:dns";
import ipaddr from "ipaddr.js";
import type { NetworkPolicy } from "../types.ts";
import { classifyAddress } from "./addresses.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a name to every address it has (dns.promises.lookup in production; a table in tests). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export type GuardVerdict =
  | { ok: true; hostname: string; port: number; addresses: ResolvedAddress[] }
  | { ok: false; kind: "refused" | "unresolved"; reason: string };

export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The URL's host without IPv6 brackets or a trailing dot, lowercased. */
export function bareHostname(url: URL): string {
  const h = url.hostname.toLowerCase().replace(/\.$/, "");
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

export function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** `host`, `*.host`, `host:port`, `[v6]:port` or a bare IPv6 address, as host and optional port. */
function parseEntry(entry: string): { host: string; port: number | null } | null {
  let text = entry.trim().toLowerCase();
  if (!text) return null;
  text = text.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/\/.*$/, "");
  let host = text;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed?.[1]) {
    host = bracketed[1];
    port = bracketed[2] ? Number(bracketed[2]) : null;
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [h, p] = text.split(":") as [string, string];
    if (!/^\d{1,5}$/.test(p)) return null;
    host = h;
    port = Number(p);
  }
  return { host: normalizeHost(host.replace(/\.$/, "")), port };
}

function normalizeHost(host: string): string {
  if (ipaddr.isValid(host)) return ipaddr.parse(host).toString();
  if (host.startsWith("*.")) return `*.${normalizeName(host.slice(2))}`;
  return normalizeName(host);
}

/** A name as the URL parser writes it (IDNs in punycode), or as given when it cannot. */
function normalizeName(name: string): string {
  try {
    return new URL(`http://${name}`).hostname;
  } catch {
    return name;
  }
}

/** Does any entry of the list match this host and port? */
export function hostMatches(entries: string[], hostname: string, port: number): boolean {
  const host = normalizeHost(hostname);
  return entries.some((raw) => {
    const entry = parseEntry(raw);
    if (!entry) return false;
    if (entry.port !== null && entry.port !== port) return false;
    if (entry.host.startsWith("*.")) return host.endsWith(entry.host.slice(1));
    return entry.host === host;
  });
}

function privateAllowed(network: NetworkPolicy, hostname: string, port: number): boolean {
  return (
    network.privateHosts.some((e) => e.trim() === "*") ||
    hostMatches(network.privateHosts, hostname, port)
  );
}

/** Checks one URL against the policy and resolves its host; the addresses to connect to when allowed. */
export async function checkDestination(
  url: URL,
  network: NetworkPolicy,
  resolve: Resolver = systemResolver,
): Promise<GuardVerdict> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return {
      ok: false,
      kind: "refused",
      reason: `${url.protocol} URLs are not allowed; only http: and https:`,
    };
  const hostname = bareHostname(url);
  const port = effectivePort(url);
  const shown = url.port ? `${hostname}:${port}` : hostname;
  if (!hostMatches(network.allowedHosts, hostname, port))
    return {
      ok: false,
      kind: "refused",
      reason: `${shown} is not in the assistant's allowed hosts (${network.allowedHosts.join(", ") || "none"}); its owner may add it`,
    };
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: ipaddr.parse(hostname).kind() === "ipv6" ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      return {
        ok: false,
        kind: "unresolved",
        reason: `${hostname} could not be resolved (${code})`,
      };
    }
    if (addresses.length === 0)
      return { ok: false, kind: "unresolved", reason: `${hostname} has no address` };
  }
  if (!privateAllowed(network, hostname, port)) {
    for (const { address } of addresses) {
      const verdict = classifyAddress(address);
      if (verdict.public) continue;
      const what =
        address === hostname ? address : `${hostname} resolves to ${verdict.address}, which`;
      const entry = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
      return {
        ok: false,
        kind: "refused",
        reason: `${what} is ${verdict.description}; an admin may allow it with TAILOR_FUNCTION_PRIVATE_HOSTS=${entry}`,
      };
    }
  }
  return { ok: true, hostname, port, addresses };
}
