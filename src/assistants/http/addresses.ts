/**
 * Which IP addresses an HTTP function may reach without the admin's leave: public unicast only.
 * ipaddr.js names the special ranges (loopback, private, link-local, carrier-grade NAT, unique-local,
 * multicast, reserved and documentation, benchmarking, NAT64, 6to4, Teredo, ...); an IPv4-mapped
 * IPv6 address is judged as the IPv4 address it carries. IPv6 is public only inside global unicast
 * (2000::/3) and outside every named range, so an address family nobody routes is refused too.
 */
import ipaddr from "ipaddr.js";

export interface AddressVerdict {
  /** The address as text (IPv4-mapped IPv6 shown as its IPv4). */
  address: string;
  public: boolean;
  /** ipaddr.js's range name ("unicast" when public). */
  range: string;
  /** What the address is, for a refusal: "a loopback address". */
  description: string;
}

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** Deprecated IPv4-compatible IPv6 (::a.b.c.d), which ipaddr.js leaves unnamed. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR("::/96");

const DESCRIPTIONS: Record<string, string> = {
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT (shared) address",
  private: "a private address",
  uniqueLocal: "a unique-local (private) address",
  reserved: "a reserved or documentation address",
  benchmarking: "a benchmarking address",
  deprecatedSiteLocal: "a site-local (private) address",
  rfc6052: "a NAT64 address",
  rfc6145: "an IPv4-translated address",
  "6to4": "a 6to4 address",
  teredo: "a Teredo address",
  ipv4Compatible: "an IPv4-compatible IPv6 address",
  outsideGlobalUnicast: "an IPv6 address outside global unicast",
};

/** Is this address public unicast? Not an IP address at all is judged not public. */
export function classifyAddress(text: string): AddressVerdict {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare))
    return { address: text, public: false, range: "invalid", description: "not an IP address" };
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it stands for.
  const ip = ipaddr.process(bare);
  const address = ip.toString();
  let range: string = ip.range();
  if (ip.kind() === "ipv6" && range === "unicast") {
    const v6 = ip as ipaddr.IPv6;
    if (v6.match(IPV4_COMPATIBLE)) range = "ipv4Compatible";
    else if (!v6.match(GLOBAL_UNICAST)) range = "outsideGlobalUnicast";
  }
  const isPublic = range === "unicast";
  const description = isPublic
    ? "a public address"
    : address === "169.254.169.254"
      ? "the cloud metadata address (link-local)"
      : (DESCRIPTIONS[range] ?? `a special-purpose address (${range})`);
  return { address, public: isPublic, range, description };
}
