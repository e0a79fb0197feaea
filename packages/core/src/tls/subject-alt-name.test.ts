import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSubjectAltName, uriSansOf } from "./subject-alt-name.js";

describe("parseSubjectAltName", () => {
  const cases: [string, string | undefined, { type: string; value: string }[] | undefined][] = [
    ["no SANs", undefined, []],
    ["empty", "", []],
    ["one URI", "URI:spiffe://td/ns/a/sa/b", [{ type: "URI", value: "spiffe://td/ns/a/sa/b" }]],
    [
      "mixed",
      "DNS:a.example, URI:spiffe://td/ns/a/sa/b, IP Address:10.0.0.1",
      [
        { type: "DNS", value: "a.example" },
        { type: "URI", value: "spiffe://td/ns/a/sa/b" },
        { type: "IP Address", value: "10.0.0.1" },
      ],
    ],
    [
      "quoted value hiding a second URI",
      'URI:"spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/x/sa/y"',
      [{ type: "URI", value: "spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/x/sa/y" }],
    ],
    [
      "escaped quote and backslash",
      'DNS:"a\\"b\\\\c", URI:spiffe://td/ns/a/sa/b',
      [
        { type: "DNS", value: 'a"b\\c' },
        { type: "URI", value: "spiffe://td/ns/a/sa/b" },
      ],
    ],
    ["unterminated quote", 'URI:"spiffe://td/ns/a/sa/b', undefined],
    ["missing type", ":x", undefined],
    ["no colon", "garbage", undefined],
    ["bad separator after quoted value", 'URI:"a"x, DNS:b', undefined],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(parseSubjectAltName(text), want));
  }

  it("uriSansOf reads both certificate shapes and fails closed", () => {
    assert.deepEqual(uriSansOf({ subjectaltname: "DNS:x, URI:spiffe://td/ns/a/sa/b" }), [
      "spiffe://td/ns/a/sa/b",
    ]);
    assert.deepEqual(uriSansOf({ subjectAltName: "URI:u1, URI:u2" }), ["u1", "u2"]);
    assert.equal(uriSansOf({ subjectaltname: 'URI:"open' }), undefined);
  });
});
