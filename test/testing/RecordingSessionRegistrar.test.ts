import { expect, test } from "@jest/globals";
import { RecordingSessionRegistrar } from "../../src/testing/RecordingSessionRegistrar.js";

test("records calls in order and counts live sockets per user", () => {
  const sessions = new RecordingSessionRegistrar();
  sessions.register("1", "s1", "alice");
  sessions.register("1", "s2", "alice");
  sessions.register("2", "s3", "bob");
  sessions.unregister("1", "s1");
  expect(sessions.live).toBe(2);
  expect(sessions.socketsOf("1")).toEqual(["s2"]);
  expect(sessions.socketsOf("3")).toEqual([]);
  expect(sessions.events).toEqual([
    { type: "register", userId: "1", socketId: "s1", sub: "alice" },
    { type: "register", userId: "1", socketId: "s2", sub: "alice" },
    { type: "register", userId: "2", socketId: "s3", sub: "bob" },
    { type: "unregister", userId: "1", socketId: "s1" },
  ]);
});

test("waitFor resolves at once when the condition holds, else on the call that makes it hold", async () => {
  const sessions = new RecordingSessionRegistrar();
  await sessions.waitFor((s) => s.live === 0);
  const registered = sessions.waitFor((s) => s.live === 1);
  setTimeout(() => sessions.register("1", "s1", "alice"), 5);
  await registered;
  expect(sessions.live).toBe(1);
});

test("waitFor rejects after its timeout, listing the events seen", async () => {
  const sessions = new RecordingSessionRegistrar();
  sessions.register("1", "s1", "alice");
  await expect(sessions.waitFor((s) => s.live === 0, 20)).rejects.toThrow(/not met within 20 ms; events: .*"socketId":"s1"/);
});
