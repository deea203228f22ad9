import type { Config } from "jest";

const config: Config = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: {
    // The examples import the package by name, as a host app would; here that name is the source.
    "^ioserver-oidc$": "<rootDir>/src/index.ts",
    "^ioserver-oidc/testing$": "<rootDir>/src/testing/index.ts",
    "^ioserver-oidc/redis$": "<rootDir>/src/redis/index.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
  // ioserverWarning: drops ioserver's Fastify FSTDEP022 warning (one per IOServer started), and only that one.
  setupFiles: ["reflect-metadata", "<rootDir>/scripts/ioserverWarning.ts"],
  // Prints the one "Redis tests skipped" line when redis-server is missing (fails instead when CI=true).
  globalSetup: "<rootDir>/test/fixtures/redisGlobalSetup.ts",
  testMatch: ["<rootDir>/test/**/*.test.ts", "<rootDir>/examples/**/*.test.ts"],
  testTimeout: 20_000,
};

export default config;
