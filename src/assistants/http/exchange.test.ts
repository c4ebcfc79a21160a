import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { exchange, pinnedLookup } from "./exchange.ts";

describe("exchange", () => {
  const hosts: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("pinned");
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("connects to the checked address without asking DNS again, keeping the URL's host", async () => {
    // `.invalid` never resolves (RFC 6761): reaching the server proves the name was not looked up.
    const url = new URL(`http://api.rebind.invalid:${port}/x`);
    const answer = await exchange(
      { url, method: "GET", headers: { "user-agent": "Tailor-Assistant" }, body: null },
      { hostname: "api.rebind.invalid", port, addresses: [{ address: "127.0.0.1", family: 4 }] },
      1024,
      new AbortController().signal,
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.body.bytes.toString(), "pinned");
    assert.deepEqual(hosts, [`api.rebind.invalid:${port}`]);
  });

  it("answers lookups with the checked addresses only, of the family asked", () => {
    const lookup = pinnedLookup([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ]);
    const results: unknown[] = [];
    lookup("example.com", { all: true }, (_err, addresses) => results.push(addresses));
    lookup("example.com", { family: 6 }, (_err, address, family) =>
      results.push([address, family]),
    );
    lookup("example.com", {}, (_err, address, family) => results.push([address, family]));
    assert.deepEqual(results, [
      [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:2800:220:1::1", family: 6 },
      ],
      ["2606:2800:220:1::1", 6],
      ["93.184.216.34", 4],
    ]);
    const v4only = pinnedLookup([{ address: "93.184.216.34", family: 4 }]);
    v4only("example.com", { family: 6 }, (err) => assert.equal(err?.code, "ENOTFOUND"));
  });
});
