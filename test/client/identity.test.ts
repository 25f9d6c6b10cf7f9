import { describe, expect, it } from "vitest";
import { identityOf } from "../../src/client/identity";
import { jwt } from "./jwt";

/** A JWT-shaped token whose payload is exactly these bytes. */
function tokenWithPayloadBytes(bytes: number[]): string {
  return `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(bytes).toString("base64url")}.c2ln`;
}

describe("identityOf", () => {
  const iss = "https://id.example";

  it("is the same for a refreshed token of the same user, whose changes are numbers, arrays and objects", () => {
    expect(identityOf(jwt({ iss, sub: "alice", org_id: "org-a", iat: 1, exp: 2, fva: [0, -1] }))).toBe(
      identityOf(jwt({ org_id: "org-a", sub: "alice", iss, iat: 100, exp: 200, nbf: 99, auth_time: 99, fva: [1, -1] })),
    );
  });

  it("is the same for a renewed token that names itself anew (Clerk's minute-long tokens)", () => {
    const first = { iss, sub: "alice", sid: "sess_1", jti: "a1", nonce: "n1", at_hash: "h1", c_hash: "c1" };
    const renewed = { iss, sub: "alice", sid: "sess_1", jti: "a2", nonce: "n2", at_hash: "h2", c_hash: "c2" };
    expect(identityOf(jwt(first))).toBe(identityOf(jwt(renewed)));
  });

  it("differs by every string claim, as any of them may be CLIENT_REF_CLAIM", () => {
    const alice = identityOf(jwt({ iss, sub: "alice", org_id: "org-a" }));
    expect(identityOf(jwt({ iss, sub: "bob", org_id: "org-a" }))).not.toBe(alice);
    expect(identityOf(jwt({ iss: "https://other.example", sub: "alice", org_id: "org-a" }))).not.toBe(alice);
    expect(identityOf(jwt({ sub: "alice", org_id: "org-a" }))).not.toBe(alice);
    expect(identityOf(jwt({ iss, sub: "alice", org_id: "org-b" }))).not.toBe(alice);
    expect(identityOf(jwt({ iss, sub: "alice" }))).not.toBe(alice);
  });

  it("keeps claim names and values apart", () => {
    expect(identityOf(jwt({ a: "b", c: "d" }))).not.toBe(identityOf(jwt({ a: "b,c", d: "" })));
    expect(identityOf(jwt({ "a|b": "c" }))).not.toBe(identityOf(jwt({ a: "b|c" })));
  });

  it("reads the payload with or without base64url padding", () => {
    // These payloads encode to 0, 2 and 1 padding characters.
    const padding: Array<string | undefined> = [];
    for (const sub of ["alice", "alice1", "alice12"]) {
      const padded = jwt({ iss, sub }, { padded: true });
      padding.push(/=*$/.exec(padded.split(".")[1] ?? "")?.[0]);
      expect(identityOf(padded)).toBe(identityOf(jwt({ iss, sub })));
      expect(JSON.parse(identityOf(padded))).toEqual([
        "jwt",
        [
          ["iss", iss],
          ["sub", sub],
        ],
      ]);
    }
    expect(padding).toEqual(["", "==", "="]);
  });

  it("decodes UTF-8 claims", () => {
    expect(JSON.parse(identityOf(jwt({ iss, sub: "jörg-東京-😀" })))).toEqual([
      "jwt",
      [
        ["iss", iss],
        ["sub", "jörg-東京-😀"],
      ],
    ]);
  });

  it.each([
    ["an opaque token", "opaque-session-token"],
    ["an empty token", ""],
    ["two parts", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9"],
    ["five parts (JWE)", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"],
    ["a payload that is not base64url", "h.eyJzdWIiOiJhbGljZSJ9+/.s"],
    ["a payload of impossible length", "h.eyJzd.s"],
    ["an empty payload", "h..s"],
    ["a payload that is not JSON", `h.${Buffer.from("not json").toString("base64url")}.s`],
    ["a JSON array payload", `h.${Buffer.from('["alice"]').toString("base64url")}.s`],
    ["a JSON string payload", `h.${Buffer.from('"alice"').toString("base64url")}.s`],
    ["invalid UTF-8", tokenWithPayloadBytes([...Buffer.from('{"sub":"'), 0xff, ...Buffer.from('"}')])],
    ["a truncated UTF-8 sequence", tokenWithPayloadBytes([...Buffer.from('{"sub":"'), 0xc3, ...Buffer.from('"}')])],
    [
      "an overlong UTF-8 sequence",
      tokenWithPayloadBytes([...Buffer.from('{"sub":"'), 0xc0, 0xaf, ...Buffer.from('"}')]),
    ],
  ])("falls back to the whole token for %s, without throwing", (_, token) => {
    expect(JSON.parse(identityOf(token))).toEqual(["token", token]);
  });

  it("keeps two undecodable subjects apart", () => {
    const a = tokenWithPayloadBytes([...Buffer.from('{"sub":"'), 0xff, ...Buffer.from('"}')]);
    const b = tokenWithPayloadBytes([...Buffer.from('{"sub":"'), 0xfe, ...Buffer.from('"}')]);
    expect(identityOf(a)).not.toBe(identityOf(b));
  });

  it("never mistakes an opaque token for a JWT identity", () => {
    const alice = jwt({ iss, sub: "alice" });
    expect(identityOf(identityOf(alice))).not.toBe(identityOf(alice));
  });
});
