import { describe, expect, test } from "@jest/globals";
import { FrequencySketch } from "../../../src/services/verification/FrequencySketch.js";

const hashOf = (i: number): number => Math.imul(i + 1, 0x9e3779b1) >>> 0;

describe("FrequencySketch", () => {
  test("an item never seen is rated 0; the first sighting only passes the doorkeeper", () => {
    const sketch = new FrequencySketch(100);
    expect(sketch.frequency(hashOf(1))).toBe(0);
    sketch.increment(hashOf(1));
    expect(sketch.frequency(hashOf(1))).toBe(1);
    sketch.increment(hashOf(1));
    sketch.increment(hashOf(1));
    expect(sketch.frequency(hashOf(1))).toBe(3);
  });

  test("counts saturate at 15 (plus the doorkeeper's one)", () => {
    const sketch = new FrequencySketch(100);
    for (let i = 0; i < 100; i++) sketch.increment(hashOf(7));
    expect(sketch.frequency(hashOf(7))).toBe(16);
  });

  test("popular items rate above one-off items among thousands, and old counts fade", () => {
    const sketch = new FrequencySketch(1000);
    for (let round = 0; round < 10; round++) for (let i = 0; i < 50; i++) sketch.increment(hashOf(i));
    for (let i = 1000; i < 3000; i++) sketch.increment(hashOf(i));
    expect(sketch.frequency(hashOf(10))).toBeGreaterThan(sketch.frequency(hashOf(2000)));
    // Several sample periods of other traffic age the counts away.
    for (let i = 10_000; i < 60_000; i++) sketch.increment(hashOf(i));
    expect(sketch.frequency(hashOf(10))).toBeLessThanOrEqual(1);
  });

  test("ages one counter and one doorkeeper word at most per increment", () => {
    const sketch = new FrequencySketch(64);
    let before = sketch.agedCells;
    for (let i = 0; i < 10_000; i++) {
      sketch.increment(hashOf(i));
      expect(sketch.agedCells - before).toBeLessThanOrEqual(2);
      before = sketch.agedCells;
    }
  });
});
