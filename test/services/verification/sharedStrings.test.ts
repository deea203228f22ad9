import { describe, expect, test } from "@jest/globals";
import { shareRecurringStrings } from "../../../src/services/verification/sharedStrings.js";

describe("shareRecurringStrings", () => {
  test("leaves every claim's value as it was", () => {
    const payload = { sub: "u1", iss: "https://auth.example.com", aud: ["app", "api"], roles: ["admin", 3, null], permissions: ["read", "x".repeat(500)], features: { beta: ["on"] } };
    const before = structuredClone(payload);
    for (let i = 0; i < 3; i++) shareRecurringStrings(payload);
    expect(payload).toEqual(before);
  });

  test("any number of distinct names is handled (the table stops growing, values stay intact)", () => {
    for (let i = 0; i < 6000; i++) {
      const payload = { permissions: [`p-${i}`, "common"] };
      shareRecurringStrings(payload);
      expect(payload.permissions).toEqual([`p-${i}`, "common"]);
    }
  });
});
