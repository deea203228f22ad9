import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters } from "jose";

export type TestAlgorithm = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA";

export interface TestIssuerOptions {
  /** Algorithm of the first signing key (default "RS256"). */
  alg?: TestAlgorithm;
  /** Audience minted tokens carry (default "test-app"). */
  audience?: string;
  /** Path the JWKS is served at (default BetterAuth's "/api/auth/jwks"). */
  jwksPath?: string;
  /** `iss` of minted tokens (default the issuer's base URL). */
  issuer?: string;
}

export interface MintOptions {
  /** Lifetime in seconds from `now` (default 300); negative gives an already expired token. */
  expiresIn?: number;
  /** Seconds since the epoch the token is minted at (default the wall clock). */
  now?: number;
  /** Sign with this published key (default the newest). */
  kid?: string;
  /** Extra or overriding protected header parameters. */
  header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
  /** Leave these registered claims out (e.g. `["exp"]`). */
  omit?: string[];
}

/** How the JWKS endpoint answers: normally, or one of the outages a verifier must survive. */
export type JwksBehaviour =
  | { kind: "ok" }
  | { kind: "status"; status: number }
  | { kind: "delay"; ms: number }
  | { kind: "body"; body: string; contentType?: string }
  | { kind: "redirect"; location: string };

interface SigningKey {
  kid: string;
  alg: TestAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * A real OIDC-style issuer for tests and demos: generates keys, serves its
 * JWKS over HTTP on 127.0.0.1, mints tokens with any claims and lifetimes,
 * rotates keys and simulates outages. Counts every JWKS request it sees.
 * Has no test-runner dependency.
 *
 * @example
 * ```ts
 * const issuer = await TestIssuer.start({ alg: "ES256", audience: "my-app" });
 * Object.assign(process.env, issuer.env());
 * const token = await issuer.mint({ sub: "user-1", roles: ["admin"] });
 * await issuer.close();
 * ```
 */
export class TestIssuer {
  /** JWKS requests received so far. */
  jwksRequests = 0;
  /** Requests for its OpenID discovery document received so far. */
  discoveryRequests = 0;
  private keys: SigningKey[] = [];
  private behaviour: JwksBehaviour = { kind: "ok" };
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(
    private server: Server,
    private readonly options: Required<Omit<TestIssuerOptions, "issuer">> & { issuer?: string },
  ) {}

  static async start(options: TestIssuerOptions = {}): Promise<TestIssuer> {
    const issuer = new TestIssuer(createServer(), {
      alg: options.alg ?? "RS256",
      audience: options.audience ?? "test-app",
      jwksPath: options.jwksPath ?? "/api/auth/jwks",
      issuer: options.issuer,
    });
    await issuer.addKey(issuer.options.alg);
    await issuer.listen(0);
    return issuer;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (what `AUTH_SERVICE_URL` gets). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUri(): string {
    return `${this.url}${this.options.jwksPath}`;
  }

  /** The `iss` minted tokens carry. */
  get issuer(): string {
    return this.options.issuer ?? this.url;
  }

  get audience(): string {
    return this.options.audience;
  }

  /** The `kid`s currently published, oldest first. */
  get kids(): string[] {
    return this.keys.map((k) => k.kid);
  }

  /** `AUTH_SERVICE_*` variables that make ioserver-oidc trust this issuer. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AUTH_SERVICE_URL: this.url,
      AUTH_SERVICE_APP_SLUG: this.options.audience,
      AUTH_SERVICE_JWKS_URI: this.jwksUri,
      AUTH_SERVICE_ISSUER: this.issuer,
      ...extra,
    };
  }

  /**
   * Where it serves its OpenID discovery document (`{ issuer, jwks_uri }`,
   * for `AUTH_SERVICE_DISCOVERY=true`): `<issuer>/.well-known/openid-configuration`
   * when its issuer is on this server, else nowhere.
   */
  get discoveryPath(): string | undefined {
    if (this.issuer !== this.url && !this.issuer.startsWith(`${this.url}/`)) return undefined;
    return `${this.issuer.slice(this.url.length).replace(/\/+$/, "")}/.well-known/openid-configuration`;
  }

  /**
   * Generates and publishes a new key, which becomes the default signing
   * key. Returns its kid (random unless given: two issuers publishing an
   * equal kid must still never verify each other's tokens).
   */
  async addKey(alg: TestAlgorithm = this.options.alg, kid: string = randomUUID()): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
    this.keys.push({ kid, alg, privateKey, publicJwk });
    return kid;
  }

  /** Stops publishing a key (tokens it signed stop verifying once verifiers refresh). */
  removeKey(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  /** Publishes a new key and, after `retireOld`, drops the others: a key rotation. */
  async rotate(options: { retireOld?: boolean; alg?: TestAlgorithm } = {}): Promise<string> {
    const kid = await this.addKey(options.alg);
    if (options.retireOld) this.keys = this.keys.filter((k) => k.kid === kid);
    return kid;
  }

  /** Changes how the JWKS endpoint answers from now on. */
  setBehaviour(behaviour: JwksBehaviour): void {
    this.behaviour = behaviour;
  }

  /**
   * Mints a signed token. Defaults: `iss`, `aud`, `sub` "user-1", `iat`
   * now, `exp` now + 300 s; `claims` override or add anything.
   */
  async mint(claims: Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> {
    const key = this.signingKey(options.kid);
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.options.audience,
      sub: "user-1",
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...claims,
    };
    for (const name of options.omit ?? []) delete payload[name];
    const header = { alg: key.alg, kid: key.kid, typ: "JWT", ...options.header } as JWTHeaderParameters;
    return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
  }

  /**
   * Signs any header and payload with a published key as a compact JWS,
   * with none of the checks `mint()` (jose) applies: for the malformed
   * tokens a verifier must refuse (unknown or empty `crit`, `b64: false`,
   * nested JWTs, non-object claims). `alg` and `kid` default to the key's;
   * `encodePayload: false` puts the payload in as is (RFC 7797).
   */
  async sign(payload: string, header: Record<string, unknown> = {}, options: { kid?: string; encodePayload?: boolean } = {}): Promise<string> {
    const key = this.signingKey(options.kid);
    const encode = (value: string): string => Buffer.from(value).toString("base64url");
    const signingInput = `${encode(JSON.stringify({ alg: key.alg, kid: key.kid, ...header }))}.${options.encodePayload === false ? payload : encode(payload)}`;
    const signature = await crypto.subtle.sign(webCryptoParams(key.alg), key.privateKey, new TextEncoder().encode(signingInput));
    return `${signingInput}.${Buffer.from(signature).toString("base64url")}`;
  }

  /** Signs with a key that is NOT published (a forgery a verifier must refuse). */
  static async forge(claims: Record<string, unknown>, alg: TestAlgorithm = "RS256", header: Record<string, unknown> = {}): Promise<string> {
    const { privateKey } = await generateKeyPair(alg);
    return new SignJWT(claims).setProtectedHeader({ alg, kid: randomUUID(), ...header }).sign(privateKey);
  }

  /** Closes the port (clients see "connection refused") until `resume()`. */
  async pause(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port after `pause()`. */
  async resume(): Promise<void> {
    this.server = createServer();
    await this.listen(this.port);
  }

  /** Stops the server for good. */
  async close(): Promise<void> {
    if (this.server.listening) await this.pause();
  }

  /** The published key `kid`, or the newest one. */
  private signingKey(kid: string | undefined): SigningKey {
    const key = kid ? this.keys.find((k) => k.kid === kid) : this.keys[this.keys.length - 1];
    if (!key) throw new Error(`TestIssuer: no published key ${kid ?? ""}`);
    return key;
  }

  private async listen(port: number): Promise<void> {
    this.server.on("request", (req, res) => {
      if (req.url === this.discoveryPath) {
        this.discoveryRequests += 1;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ issuer: this.issuer, jwks_uri: this.jwksUri }));
        return;
      }
      if (req.url !== this.options.jwksPath) {
        res.writeHead(404).end();
        return;
      }
      this.jwksRequests += 1;
      this.answer(res);
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private answer(res: ServerResponse): void {
    const behaviour = this.behaviour;
    const json = () => JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) });
    switch (behaviour.kind) {
      case "ok":
        res.writeHead(200, { "content-type": "application/json" }).end(json());
        return;
      case "status":
        res.writeHead(behaviour.status, { "content-type": "application/json" }).end("{}");
        return;
      case "redirect":
        res.writeHead(302, { location: behaviour.location }).end();
        return;
      case "body":
        res.writeHead(200, { "content-type": behaviour.contentType ?? "application/json" }).end(behaviour.body);
        return;
      case "delay": {
        const timer = setTimeout(() => {
          if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end(json());
        }, behaviour.ms);
        res.once("close", () => clearTimeout(timer));
        return;
      }
    }
  }
}

/** WebCrypto signing parameters of each JWS algorithm (RFC 7518 §3). */
function webCryptoParams(alg: TestAlgorithm): Parameters<typeof crypto.subtle.sign>[0] {
  const bits = alg.slice(2);
  if (alg.startsWith("RS")) return { name: "RSASSA-PKCS1-v1_5" };
  if (alg.startsWith("PS")) return { name: "RSA-PSS", saltLength: Number(bits) / 8 };
  if (alg.startsWith("ES")) return { name: "ECDSA", hash: `SHA-${bits}` };
  return { name: "Ed25519" };
}
