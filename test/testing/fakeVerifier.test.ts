import { describe, expect, test } from "@jest/globals";
import { ERR_AUTH_TOKEN_INVALID, ERR_AUTH_UNAVAILABLE, OidcError } from "../../src/errors.js";
import { FAKE_ISSUER, fakeVerifier } from "../../src/testing/fakeVerifier.js";

const refusal = (code: string) => expect.objectContaining({ name: "OidcError", code });

describe("fakeVerifier(table)", () => {
  const verifier = fakeVerifier({ "alice-token": { sub: "alice", roles: ["admin"] }, "dated-token": { sub: "dated", iss: "https://other", exp: 42 } });

  test("returns the listed claims, with iss and a future exp filled in", async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = await verifier.verify("alice-token");
    expect(claims).toMatchObject({ sub: "alice", roles: ["admin"], iss: FAKE_ISSUER });
    expect(claims.exp).toBeGreaterThan(before);
  });

  test("given iss and exp are kept", async () => {
    expect(await verifier.verify("dated-token")).toMatchObject({ iss: "https://other", exp: 42 });
  });

  test("refuses any other token with ERR_AUTH_TOKEN_INVALID, including Object.prototype names", async () => {
    for (const token of ["bob-token", "", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
      await expect(verifier.verify(token)).rejects.toEqual(refusal(ERR_AUTH_TOKEN_INVALID));
    }
  });

  test("counts every call, accepted or not", async () => {
    const counted = fakeVerifier({ a: { sub: "a" } });
    await counted.verify("a");
    await counted.verify("b").catch(() => undefined);
    expect(counted.calls).toBe(2);
  });
});

describe("fakeVerifier(lookup)", () => {
  test("accepts what the function answers, refuses undefined, passes its errors on", async () => {
    const verifier = fakeVerifier(async (token) => {
      if (token === "outage") throw new OidcError(ERR_AUTH_UNAVAILABLE);
      return token.startsWith("ok:") ? { sub: token.slice(3) } : undefined;
    });
    expect(await verifier.verify("ok:carol")).toMatchObject({ sub: "carol" });
    await expect(verifier.verify("nope")).rejects.toEqual(refusal(ERR_AUTH_TOKEN_INVALID));
    await expect(verifier.verify("outage")).rejects.toEqual(refusal(ERR_AUTH_UNAVAILABLE));
  });
});
