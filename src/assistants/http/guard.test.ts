import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyAddress } from "./addresses.ts";
import { checkDestination, hostMatches, type Resolver } from "./guard.ts";

describe("classifyAddress", () => {
  const table: [string, boolean, string][] = [
    ["8.8.8.8", true, "public"],
    ["93.184.216.34", true, "public"],
    ["2606:4700:4700::1111", true, "public"],
    ["127.0.0.1", false, "loopback"],
    ["127.255.0.9", false, "loopback"],
    ["::1", false, "loopback"],
    ["10.1.2.3", false, "private"],
    ["172.16.0.1", false, "private"],
    ["172.31.255.255", false, "private"],
    ["192.168.1.10", false, "private"],
    ["169.254.169.254", false, "metadata"],
    ["169.254.1.1", false, "link-local"],
    ["100.64.0.1", false, "carrier-grade NAT"],
    ["100.127.255.254", false, "carrier-grade NAT"],
    ["0.0.0.0", false, "unspecified"],
    ["0.1.2.3", false, "unspecified"],
    ["::", false, "unspecified"],
    ["224.0.0.1", false, "multicast"],
    ["ff02::1", false, "multicast"],
    ["255.255.255.255", false, "broadcast"],
    ["fc00::1", false, "unique-local"],
    ["fd00:ec2::254", false, "unique-local"],
    ["fe80::1", false, "link-local"],
    ["fec0::1", false, "site-local"],
    ["::ffff:127.0.0.1", false, "loopback"],
    ["::ffff:10.0.0.1", false, "private"],
    ["::ffff:169.254.169.254", false, "metadata"],
    ["::127.0.0.1", false, "loopback"],
    ["::7f00:1", false, "IPv4-compatible"],
    ["64:ff9b::a9fe:a9fe", false, "NAT64"],
    ["2002:7f00:1::", false, "6to4"],
    ["2001:db8::1", false, "documentation"],
    ["198.18.0.1", false, "reserved"],
    ["192.0.2.1", false, "documentation"],
    ["203.0.113.5", false, "documentation"],
    ["240.0.0.1", false, "reserved"],
    ["4000::1", false, "outside global unicast"],
    ["not-an-ip", false, "not an IP"],
  ];
  for (const [address, isPublic, words] of table) {
    it(`${address}: ${isPublic ? "public" : words}`, () => {
      const verdict = classifyAddress(address);
      assert.equal(verdict.public, isPublic, `${address} judged ${verdict.range}`);
      assert.match(verdict.description, new RegExp(words, "i"));
    });
  }

  it("shows an IPv4-mapped address as the IPv4 address it carries", () => {
    assert.equal(classifyAddress("::ffff:7f00:1").address, "127.0.0.1");
  });
});

describe("hostMatches", () => {
  const table: [string[], string, number, boolean][] = [
    [["api.example.com"], "api.example.com", 443, true],
    [["API.Example.com."], "api.example.com", 8080, true],
    [["api.example.com"], "example.com", 443, false],
    [["api.example.com"], "evilapi.example.com", 443, false],
    [["*.example.com"], "a.example.com", 443, true],
    [["*.example.com"], "a.b.example.com", 443, true],
    [["*.example.com"], "example.com", 443, false],
    [["*.example.com"], "badexample.com", 443, false],
    [["api.example.com:8443"], "api.example.com", 8443, true],
    [["api.example.com:8443"], "api.example.com", 443, false],
    [["127.0.0.1:5000"], "127.0.0.1", 5000, true],
    [["127.0.0.1:5000"], "127.0.0.1", 5001, false],
    [["[::1]:5000"], "::1", 5000, true],
    [["::1"], "::1", 80, true],
    [["0:0:0:0:0:0:0:1"], "::1", 80, true],
    [["https://api.example.com/path"], "api.example.com", 443, true],
    [["bücher.example"], "xn--bcher-kva.example", 443, true],
    [[], "api.example.com", 443, false],
    [["api.example.com:notaport"], "api.example.com", 443, false],
  ];
  for (const [entries, host, port, expected] of table) {
    it(`${JSON.stringify(entries)} ${expected ? "matches" : "does not match"} ${host}:${port}`, () => {
      assert.equal(hostMatches(entries, host, port), expected);
    });
  }
});

describe("checkDestination", () => {
  const names: Record<string, string[]> = {
    "api.example.com": ["93.184.216.34"],
    "mixed.example.com": ["93.184.216.34", "10.0.0.7"],
    "internal.example.com": ["192.168.0.20"],
    "v6.example.com": ["2606:4700:4700::1111", "fd12::1"],
  };
  let asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    const found = names[hostname];
    if (!found)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  const open = { allowedHosts: ["*.example.com"], privateHosts: [] };

  it("allows a public host and returns the addresses to connect to", async () => {
    const verdict = await checkDestination(new URL("https://api.example.com/x"), open, resolve);
    assert.deepEqual(verdict, {
      ok: true,
      hostname: "api.example.com",
      port: 443,
      addresses: [{ address: "93.184.216.34", family: 4 }],
    });
  });

  it("refuses a name when any of its addresses is private", async () => {
    const verdict = await checkDestination(new URL("https://mixed.example.com/x"), open, resolve);
    assert.equal(verdict.ok, false);
    assert.match(
      !verdict.ok ? verdict.reason : "",
      /mixed\.example\.com resolves to 10\.0\.0\.7, which is a private address; an admin may allow it with TAILOR_FUNCTION_PRIVATE_HOSTS=mixed\.example\.com:443/,
    );
    const v6 = await checkDestination(new URL("http://v6.example.com/"), open, resolve);
    assert.match(!v6.ok ? v6.reason : "", /fd12::1, which is a unique-local/);
  });

  it("lets the admin's private hosts through: the host, host:port, or *", async () => {
    const url = new URL("http://internal.example.com:8080/");
    for (const privateHosts of [["internal.example.com"], ["internal.example.com:8080"], ["*"]]) {
      const verdict = await checkDestination(url, { ...open, privateHosts }, resolve);
      assert.equal(verdict.ok, true, JSON.stringify(privateHosts));
    }
    const otherPort = await checkDestination(
      url,
      { ...open, privateHosts: ["internal.example.com:9090"] },
      resolve,
    );
    assert.equal(otherPort.ok, false);
  });

  it("refuses a host outside the allowed hosts without resolving it", async () => {
    asked = [];
    const verdict = await checkDestination(new URL("https://evil.test/"), open, resolve);
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.kind, "refused");
    assert.match(
      !verdict.ok ? verdict.reason : "",
      /evil\.test is not in the assistant's allowed hosts \(\*\.example\.com\)/,
    );
    assert.deepEqual(asked, []);
  });

  it("refuses schemes other than http and https", async () => {
    for (const url of [
      "file:///etc/passwd",
      "ftp://api.example.com/",
      "gopher://api.example.com/",
    ]) {
      const verdict = await checkDestination(
        new URL(url),
        { allowedHosts: ["*"], privateHosts: ["*"] },
        resolve,
      );
      assert.equal(verdict.ok, false, url);
      assert.match(!verdict.ok ? verdict.reason : "", /only http: and https:/);
    }
  });

  it("judges IP literals without DNS, whatever their spelling", async () => {
    asked = [];
    const policy = { allowedHosts: ["127.0.0.1", "169.254.169.254", "::1"], privateHosts: [] };
    for (const url of [
      "http://0x7f.1/",
      "http://2130706433/",
      "http://[::1]/",
      "http://169.254.169.254/latest",
    ]) {
      const verdict = await checkDestination(new URL(url), policy, resolve);
      assert.equal(verdict.ok, false, url);
      assert.match(!verdict.ok ? verdict.reason : "", /loopback|metadata/);
    }
    assert.deepEqual(asked, []);
  });

  it("reports a name that does not resolve as unresolved, not refused", async () => {
    const verdict = await checkDestination(new URL("https://nowhere.example.com/"), open, resolve);
    assert.equal(!verdict.ok && verdict.kind, "unresolved");
    assert.match(
      !verdict.ok ? verdict.reason : "",
      /nowhere\.example\.com could not be resolved \(ENOTFOUND\)/,
    );
  });

  it("resolves localhost with the system resolver and refuses its loopback address", async () => {
    const verdict = await checkDestination(new URL("http://localhost:9/"), {
      allowedHosts: ["localhost"],
      privateHosts: [],
    });
    assert.equal(verdict.ok, false);
    assert.match(
      !verdict.ok ? verdict.reason : "",
      /^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/,
    );
  });
});
