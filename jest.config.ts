import type { Config } from "jest";

const config: Config = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
  setupFiles: ["reflect-metadata"],
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 20_000,
};

export default config;
