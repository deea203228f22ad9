// tsyringe needs the Reflect metadata polyfill before any decorated class is evaluated.
import "reflect-metadata";

/**
 * `ioserver-oidc/testing`: what a host app's tests need to exercise its
 * protected routes and namespaces. No test-runner dependency.
 */
export { TestIssuer, type JwksBehaviour, type MintOptions, type TestAlgorithm, type TestIssuerOptions } from "./TestIssuer.js";
export { createTestContainer, type TestContainer, type TestContainerOptions } from "./createTestContainer.js";
export { fakeVerifier, FAKE_ISSUER, type FakeClaims, type FakeTokenLookup, type FakeVerifier } from "./fakeVerifier.js";
export {
  InMemoryUserProvisioner,
  type InMemoryUser,
  type InMemoryUserProvisionerOptions,
  type InMemoryUserRecord,
} from "./InMemoryUserProvisioner.js";
export { RecordingSessionRegistrar, type SessionEvent } from "./RecordingSessionRegistrar.js";
export { ManualClock } from "./ManualClock.js";
export { freePort } from "./freePort.js";
