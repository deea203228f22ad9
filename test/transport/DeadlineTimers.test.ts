import { afterEach, beforeEach, describe, expect, jest, test } from "@jest/globals";
import { DeadlineTimers } from "../../src/transport/DeadlineTimers.js";

describe("DeadlineTimers", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test("runs each deadline when due, in due order, on a single timer", () => {
    const timers = new DeadlineTimers();
    const ran: string[] = [];
    timers.add(300, () => ran.push("c"));
    timers.add(100, () => ran.push("a"));
    timers.add(200, () => ran.push("b"));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(ran).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(ran).toEqual(["a"]);
    jest.advanceTimersByTime(200);
    expect(ran).toEqual(["a", "b", "c"]);
    expect(jest.getTimerCount()).toBe(0);
  });

  test("a cancelled deadline never runs, and cancelling the last one stops the timer", () => {
    const timers = new DeadlineTimers();
    const ran: number[] = [];
    const deadlines = Array.from({ length: 50 }, (_, i) => timers.add(10 * (i + 1), () => ran.push(i)));
    for (let i = 0; i < 50; i += 2) timers.cancel(deadlines[i]);
    jest.advanceTimersByTime(255);
    expect(ran).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
    for (const deadline of deadlines) timers.cancel(deadline);
    expect(timers.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(ran).toHaveLength(12);
  });

  test("a callback that throws does not keep the others from running", () => {
    const timers = new DeadlineTimers();
    const ran: string[] = [];
    timers.add(10, () => {
      throw new Error("boom");
    });
    timers.add(10, () => ran.push("after"));
    timers.add(20, () => ran.push("later"));
    expect(() => jest.advanceTimersByTime(10)).toThrow("boom");
    expect(ran).toEqual(["after"]);
    jest.advanceTimersByTime(10);
    expect(ran).toEqual(["after", "later"]);
  });
});
