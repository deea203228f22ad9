import { describe, expect, test } from "@jest/globals";
import { HotStrings, tailHash } from "../../src/services/HotStrings.js";

describe("HotStrings", () => {
  test("answers only for the exact string, even when another one lands in the same slot", () => {
    const table = new HotStrings<string>(4, 100);
    const a = "x".repeat(50) + "same-tail-0123456789";
    const b = "y".repeat(50) + "same-tail-0123456789";
    expect(tailHash(a)).toBe(tailHash(b));
    table.set(a, tailHash(a), "A");
    expect(table.get(a, tailHash(a))).toBe("A");
    expect(table.get(b, tailHash(b))).toBeUndefined();
    table.set(b, tailHash(b), "B");
    expect(table.get(a, tailHash(a))).toBeUndefined();
    expect(table.get(b, tailHash(b))).toBe("B");
  });

  test("never keeps a string longer than its limit", () => {
    const table = new HotStrings<boolean>(4, 10);
    const long = "z".repeat(11);
    table.set(long, tailHash(long), true);
    expect(table.get(long, tailHash(long))).toBeUndefined();
  });
});
