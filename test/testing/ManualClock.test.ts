import { expect, test } from "@jest/globals";
import { ManualClock } from "../../src/testing/ManualClock.js";

test("stands still until advanced or set", () => {
  const clock = new ManualClock(new Date("2026-01-01T00:00:00Z"));
  const start = Date.parse("2026-01-01T00:00:00Z");
  expect(clock.now()).toBe(start);
  clock.advance(90_000);
  expect(clock.now()).toBe(start + 90_000);
  clock.set(1000);
  expect(clock.now()).toBe(1000);
});

test("defaults to the wall clock at construction", () => {
  const before = Date.now();
  const now = new ManualClock().now();
  expect(now).toBeGreaterThanOrEqual(before);
  expect(now).toBeLessThanOrEqual(Date.now());
});

test("refuses instants that are not numbers", () => {
  expect(() => new ManualClock(Number.NaN)).toThrow(TypeError);
  expect(() => new ManualClock().set(new Date("not a date"))).toThrow("not a valid instant");
});
