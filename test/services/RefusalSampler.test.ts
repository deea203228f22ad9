import { describe, expect, test } from "@jest/globals";
import { RefusalSampler, type SampledRecord } from "../../src/services/RefusalSampler.js";

const INTERVAL = 60_000;

function sampler() {
  const written: SampledRecord<{ received: string }>[] = [];
  return { written, sampler: new RefusalSampler<{ received: string }>(INTERVAL, (record) => written.push(record)) };
}

describe("RefusalSampler", () => {
  test("the first event of a kind is written in full, the next ones of the interval only counted", () => {
    const { written, sampler: s } = sampler();
    for (let i = 0; i < 1000; i++) s.record("audience", { received: `aud-${i}` }, 1_000 + i);
    expect(written).toEqual([{ kind: "first", details: { received: "aud-0" } }]);
  });

  test("each kind has its own first record", () => {
    const { written, sampler: s } = sampler();
    s.record("audience", { received: "a" }, 0);
    s.record("issuer", { received: "i" }, 1);
    s.record("audience", { received: "a2" }, 2);
    expect(written.map((r) => [r.kind, r.details.received])).toEqual([["first", "a"], ["first", "i"]]);
  });

  test("while the flood goes on, the count of each interval is written once, with the last event's details", () => {
    const { written, sampler: s } = sampler();
    s.record("issuer", { received: "first" }, 0);
    for (let i = 1; i <= 5; i++) s.record("issuer", { received: `r${i}` }, i * 1000);
    // The next event after the interval closes the window: its 5 suppressed events are counted, it opens the next.
    s.record("issuer", { received: "later" }, INTERVAL + 1);
    s.record("issuer", { received: "later2" }, INTERVAL + 2);
    s.flush(2 * INTERVAL + 1);
    expect(written).toEqual([
      { kind: "first", details: { received: "first" } },
      { kind: "repeated", details: { received: "r5" }, count: 5, intervalMs: INTERVAL },
      { kind: "repeated", details: { received: "later2" }, count: 2, intervalMs: INTERVAL },
    ]);
  });

  test("flush writes the count of a flood that stopped, then forgets the kind once it stays quiet", () => {
    const { written, sampler: s } = sampler();
    s.record("token-type", { received: "JWT" }, 0);
    s.record("token-type", { received: "JWT" }, 10);
    s.flush(INTERVAL - 1);
    expect(written).toHaveLength(1);
    s.flush(INTERVAL);
    expect(written[1]).toEqual({ kind: "repeated", details: { received: "JWT" }, count: 1, intervalMs: INTERVAL });
    expect(s.pending).toBe(true);
    s.flush(2 * INTERVAL);
    expect(written).toHaveLength(2);
    expect(s.pending).toBe(false);
    // Quiet long enough: the next one is written in full again.
    s.record("token-type", { received: "id+jwt" }, 3 * INTERVAL);
    expect(written[2]).toEqual({ kind: "first", details: { received: "id+jwt" } });
  });

  test("an event after a quiet interval is written in full again", () => {
    const { written, sampler: s } = sampler();
    s.record("algorithm", { received: "RS384" }, 0);
    s.record("algorithm", { received: "RS512" }, INTERVAL);
    expect(written).toEqual([
      { kind: "first", details: { received: "RS384" } },
      { kind: "first", details: { received: "RS512" } },
    ]);
  });
});
