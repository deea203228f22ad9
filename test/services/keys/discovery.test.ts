import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { discoverIssuer, discoveryUrls } from "../../../src/services/keys/discovery.js";
import { MetadataServer } from "../../fixtures/metadataServer.js";

const OPTIONS = { timeoutMs: 2000, allowInsecureHttp: false };
const JWKS = "https://keys.example.com/jwks";

describe("discoveryUrls", () => {
  test.each([
    ["https://auth.example.com", "https://auth.example.com/.well-known/openid-configuration", "https://auth.example.com/.well-known/oauth-authorization-server"],
    ["https://auth.example.com/", "https://auth.example.com/.well-known/openid-configuration", "https://auth.example.com/.well-known/oauth-authorization-server"],
    [
      "https://auth.example.com/api/auth",
      "https://auth.example.com/api/auth/.well-known/openid-configuration",
      "https://auth.example.com/.well-known/oauth-authorization-server/api/auth",
    ],
    [
      "https://auth.example.com/tenant/",
      "https://auth.example.com/tenant/.well-known/openid-configuration",
      "https://auth.example.com/.well-known/oauth-authorization-server/tenant",
    ],
  ])("%s: OpenID form, then RFC 8414 form", (issuer, openId, oauth) => {
    expect(discoveryUrls(issuer)).toEqual([openId, oauth]);
  });

  test("an issuer with a query or fragment cannot be discovered", () => {
    expect(() => discoveryUrls("https://auth.example.com/?tenant=a")).toThrow(/query or fragment/);
  });
});

describe("discoverIssuer against a loopback metadata host", () => {
  let host: MetadataServer;
  beforeAll(async () => {
    host = await MetadataServer.start("/tenant");
  });
  afterAll(() => host.close());
  beforeEach(() => {
    host.requests.clear();
    host.set(host.openIdPath, { kind: "status", status: 404 });
    host.set(host.oauthPath, { kind: "status", status: 404 });
  });

  const fails = async (pattern: RegExp): Promise<void> => {
    await expect(discoverIssuer(host.issuer, OPTIONS)).rejects.toThrow(pattern);
  };

  test("takes jwks_uri from the OpenID document, without asking the RFC 8414 location", async () => {
    host.set(host.openIdPath, { kind: "document", document: host.documentFor(JWKS) });
    await expect(discoverIssuer(host.issuer, OPTIONS)).resolves.toEqual({ jwksUri: JWKS, documentUrl: `${host.origin}${host.openIdPath}` });
    expect(host.requests.get(host.oauthPath)).toBeUndefined();
  });

  test("falls back to the RFC 8414 location when the OpenID one is not there (4xx)", async () => {
    host.set(host.oauthPath, { kind: "document", document: host.documentFor(JWKS) });
    await expect(discoverIssuer(host.issuer, OPTIONS)).resolves.toEqual({ jwksUri: JWKS, documentUrl: `${host.origin}${host.oauthPath}` });
    expect([host.requests.get(host.openIdPath), host.requests.get(host.oauthPath)]).toEqual([1, 1]);
  });

  test("neither there: the error names both URLs and their answers", async () => {
    await fails(/openid-configuration: HTTP 404; .*oauth-authorization-server\/tenant: HTTP 404/);
  });

  test("a 5xx does not fall back (the server is in trouble, not the document absent)", async () => {
    host.set(host.openIdPath, { kind: "status", status: 503 });
    host.set(host.oauthPath, { kind: "document", document: host.documentFor(JWKS) });
    await fails(/HTTP 503/);
    expect(host.requests.get(host.oauthPath)).toBeUndefined();
  });

  test("a document naming another issuer is refused, naming both values", async () => {
    host.set(host.openIdPath, { kind: "document", document: host.documentFor(JWKS, { issuer: "https://evil.example" }) });
    await fails(new RegExp(`names issuer "https://evil.example" but the expected issuer is "${host.issuer}"`));
  });

  test("issuer equality is exact: a trailing slash differs", async () => {
    host.set(host.openIdPath, { kind: "document", document: host.documentFor(JWKS, { issuer: `${host.issuer}/` }) });
    await fails(/names issuer/);
  });

  test.each([
    ["http://keys.example.com/jwks", /must use https/],
    ["ftp://keys.example.com/jwks", /must use https/],
    ["/jwks", /not an absolute URL/],
    [42, /no "jwks_uri"/],
    [undefined, /no "jwks_uri"/],
  ])("jwks_uri %p is refused", async (jwksUri, pattern) => {
    host.set(host.openIdPath, { kind: "document", document: host.documentFor("x", { jwks_uri: jwksUri }) });
    await fails(pattern);
  });

  test("an http jwks_uri on a loopback host is accepted, elsewhere only with allowInsecureHttp", async () => {
    host.set(host.openIdPath, { kind: "document", document: host.documentFor("http://127.0.0.1:9/jwks") });
    await expect(discoverIssuer(host.issuer, OPTIONS)).resolves.toMatchObject({ jwksUri: "http://127.0.0.1:9/jwks" });
    host.set(host.openIdPath, { kind: "document", document: host.documentFor("http://keys.internal/jwks") });
    await expect(discoverIssuer(host.issuer, { ...OPTIONS, allowInsecureHttp: true })).resolves.toMatchObject({ jwksUri: "http://keys.internal/jwks" });
  });

  test.each([
    ["not JSON", "<html>", /not JSON/],
    ["a JSON array", "[]", /not a JSON object/],
    ["JSON null", "null", /not a JSON object/],
    ["oversized", JSON.stringify({ padding: "x".repeat(70 * 1024) }), /larger than 65536 bytes/],
  ])("a malformed document (%s) is refused", async (_name, body, pattern) => {
    host.set(host.openIdPath, { kind: "body", body });
    await fails(pattern);
  });

  test("a redirect is not followed, and is not a reason to try the other location", async () => {
    host.set(host.openIdPath, { kind: "redirect", location: `${host.origin}${host.oauthPath}` });
    host.set(host.oauthPath, { kind: "document", document: host.documentFor(JWKS) });
    await fails(/HTTP 302 \(redirects are not followed\)/);
    expect(host.requests.get(host.oauthPath)).toBeUndefined();
  });

  test("a slow answer times out", async () => {
    host.set(host.openIdPath, { kind: "delay", ms: 1000, document: host.documentFor(JWKS) });
    await expect(discoverIssuer(host.issuer, { ...OPTIONS, timeoutMs: 50 })).rejects.toThrow(/timed out after 50 ms/);
  });
});
