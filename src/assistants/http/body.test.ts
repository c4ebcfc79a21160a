import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bodyText, isTextual } from "./body.ts";

describe("bodyText", () => {
  it("keeps JSON and text as their text", () => {
    const bytes = Buffer.from('{"total": 12.5, "currency": "€"}');
    assert.equal(
      bodyText({ bytes, cut: false }, "application/json; charset=utf-8"),
      '{"total": 12.5, "currency": "€"}',
    );
    assert.equal(bodyText({ bytes: Buffer.from("plain"), cut: false }, undefined), "plain");
  });

  it("drops a character the cut split in two and says where it cut", () => {
    // "€" is 3 bytes: a cut after 5 bytes leaves "a", "€" and the first byte of the second "€".
    const bytes = Buffer.from("a€€").subarray(0, 5);
    assert.equal(bodyText({ bytes, cut: true }, "text/plain"), "a€\n[cut at 5 bytes]");
  });

  it("describes a body that is not text instead of decoding it", () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    assert.equal(
      bodyText({ bytes, cut: false }, "image/png"),
      "[the function answered image/png content (4 bytes), which is not text]",
    );
  });

  it("knows which content types are text", () => {
    const text = [
      "text/html",
      "application/json",
      "application/problem+json",
      "application/xml",
      "application/x-ndjson",
      "",
    ];
    const binary = ["image/png", "application/pdf", "application/octet-stream", "audio/mpeg"];
    for (const type of text) assert.equal(isTextual(type), true, type);
    for (const type of binary) assert.equal(isTextual(type), false, type);
  });
});
