import { createHash, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, type JWK, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { inject, injectable } from "tsyringe";
import type { DpopSettings } from "../../config.js";
import { dpopRefusal, OidcError } from "../../errors.js";
import { TOKENS } from "../../tokens.js";
import type { Clock } from "../Clock.js";
import { importPublicKey } from "../keys/importPublicKey.js";
import { jwkMatchesAlgorithm } from "../keys/jwkAlgorithms.js";
import type { RevocationStore } from "../sessions/RevocationStore.js";
import { DpopNonces } from "./dpopNonce.js";
import { normalizeHttpUri } from "./httpUri.js";
import { verifyJwsSignature } from "./jwsSignature.js";
import { normalizeMediaType } from "./signedJwt.js";
import { jwkThumbprint } from "./thumbprint.js";

/**
 * The request a proof must be for, as the transport saw it: the method,
 * and the scheme, `Host` and path the expected `htu` is built from (unless
 * `AUTH_SERVICE_PUBLIC_ORIGIN` replaces scheme and host).
 */
export interface DpopTarget {
  /** The HTTP method (`GET` for a Socket.IO handshake). */
  readonly method: string;
  /** `"http"` or `"https"`. */
  readonly protocol: string;
  /** The `Host` (`host[:port]`) the request named; `undefined` when it had none. */
  readonly host: string | undefined;
  /** The request target's path, query included or not (it is dropped). */
  readonly path: string;
}

/** A proof that passed every check but the replay check, which `claim` makes. */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key: the token's `cnf.jkt` must equal it. */
  readonly jkt: string;
  /** SHA-256 of the key's thumbprint and the `jti`: what the replay store remembers. */
  readonly replayId: string;
  /** Until when (epoch ms) the proof's `iat` is acceptable, so its `jti` must be remembered. */
  readonly expiresAt: number;
  /** The nonce to hand the client (`DPoP-Nonce`) when nonces are on and its proof did not carry the current one. */
  readonly nextNonce: string | undefined;
}

/** The replay store's scope for proof ids. */
export const DPOP_REPLAY_SCOPE = "dpop";
/** Longest proof read: a proof carrying a 4096-bit RSA key is under 2 KiB. */
const MAX_PROOF_BYTES = 8192;
/** Longest `jti` accepted (it is hashed before it is stored anyway). */
const MAX_JTI_LENGTH = 512;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Members only a private or symmetric JWK has (RFC 7517, RFC 7518 §6). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;
/** RFC 3986 `host [ ":" port ]` as a `Host` header may carry it: a reg-name or IPv4, or an IP literal. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Proof keys imported lately, by thumbprint: a client signs every proof with the same key. */
const KEY_CACHE_SIZE = 1024;

const bad = (message: string, reason = message): OidcError => dpopRefusal("invalid_dpop_proof", message, `DPoP proof: ${reason}`);

/**
 * Checks a DPoP proof (RFC 9449 §4.3) step by step, in the order the RFC
 * lists them: one well-formed JWT; `typ` `dpop+jwt`; an allowed asymmetric
 * `alg`; a public `jwk` header, which verifies the signature; `jti`, `htm`,
 * `htu` and `iat` present; `htm` and `htu` those of the request; `iat`
 * within the window; `ath` the hash of the access token; then, when
 * nonces are on, a valid `nonce`. The token's `cnf.jkt` is compared with
 * the returned thumbprint by the pipeline once the token is verified, and
 * `claim` makes the proof single-use.
 *
 * The signature is checked with the package's one `node:crypto` verifier
 * (`jwsSignature.ts`) and the key imported by the one JWK import
 * (`importPublicKey`), so proof keys meet the issuer's key rules.
 */
@injectable()
export class DpopProofVerifier {
  private readonly keys = new Map<string, KeyObject>();
  private nonces: DpopNonces | undefined;

  constructor(
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.RevocationStore) private readonly store: RevocationStore,
  ) {}

  /** Checks `proof` for `target` and `accessToken`; throws an `ERR_AUTH_TOKEN_INVALID` `OidcError` naming the RFC 9449 error. */
  async check(settings: DpopSettings, proof: string | undefined, target: DpopTarget | undefined, accessToken: string): Promise<CheckedProof> {
    // 1. Exactly one DPoP header holding one JWT (the transport refused two headers).
    if (proof === undefined || proof === "") throw bad("A DPoP proof is required with the DPoP scheme", "no DPoP proof");
    if (proof.length > MAX_PROOF_BYTES || !COMPACT_JWS.test(proof)) throw bad("The DPoP proof is not a well-formed JWT", "not a compact JWS within size");
    // 2–4. Header: typ, alg, jwk.
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw bad("The DPoP proof is not a well-formed JWT", "header is not a JSON object");
    }
    if (typeof header.typ !== "string" || normalizeMediaType(header.typ) !== "dpop+jwt") throw bad('The DPoP proof header "typ" must be "dpop+jwt"');
    const alg = header.alg;
    if (typeof alg !== "string" || !(settings.dpopAlgorithms as string[]).includes(alg)) throw bad('The DPoP proof header "alg" is not an allowed algorithm');
    if (header.crit !== undefined) throw bad('The DPoP proof header "crit" is not supported');
    const { key, jkt } = this.publicKey(header.jwk, alg);
    // 5. The signature, with the key the header carries.
    const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = proof.split(".");
    if (!(await verifyJwsSignature(alg, key, Buffer.from(`${encodedHeader}.${encodedPayload}`, "latin1"), Buffer.from(encodedSignature, "base64url")))) {
      throw bad("The DPoP proof signature is invalid");
    }
    // 6. The claims it must carry.
    let payload: JWTPayload;
    try {
      payload = decodeJwt(proof);
    } catch {
      throw bad("The DPoP proof is not a well-formed JWT", "payload is not a JSON object");
    }
    const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
    if (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH) throw bad('The DPoP proof "jti" must be a string of 1 to 512 characters');
    if (typeof htm !== "string") throw bad('The DPoP proof must carry an "htm" string');
    if (typeof htu !== "string") throw bad('The DPoP proof must carry an "htu" string');
    if (typeof iat !== "number" || !Number.isFinite(iat)) throw bad('The DPoP proof must carry a numeric "iat"');
    // 7–8. The request it is for.
    if (target === undefined) throw bad("The request URL could not be determined", "no request target");
    if (htm !== target.method) throw bad('The DPoP proof "htm" does not match the request method');
    const expected = this.expectedUri(settings, target);
    if (normalizeHttpUri(htu) !== expected) throw bad('The DPoP proof "htu" does not match the request URL');
    // 9. Fresh enough, and not from the future.
    const nowMs = this.clock.now();
    const now = nowMs / 1000;
    if (iat < now - settings.dpopMaxAgeSeconds) throw bad('The DPoP proof "iat" is too old');
    if (iat > now + settings.dpopMaxFutureSeconds) throw bad('The DPoP proof "iat" is in the future');
    // 10. Bound to this access token.
    if (ath !== createHash("sha256").update(accessToken).digest("base64url")) throw bad('The DPoP proof "ath" does not match the access token');
    // 11. The server nonce, when nonces are on: only once the rest is right, so a retry with the nonce can succeed.
    const nextNonce = this.nonceCheck(settings, nonce, nowMs);
    const replayId = createHash("sha256").update(`${jkt}.${jti}`).digest("base64url");
    return { jkt, replayId, expiresAt: Math.ceil((iat + settings.dpopMaxAgeSeconds) * 1000), nextNonce };
  }

  /** Makes the proof single-use: refused when its `jti` was seen within the window, on this node or, with a shared store, any. */
  async claim(proof: CheckedProof): Promise<void> {
    if (!(await this.store.claimOnce(DPOP_REPLAY_SCOPE, proof.replayId, proof.expiresAt))) throw bad("The DPoP proof was already used", "replayed jti");
  }

  /** The `jwk` header as a public `KeyObject` fit for `alg`, and its thumbprint. */
  private publicKey(jwk: unknown, alg: string): { key: KeyObject; jkt: string } {
    if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) throw bad('The DPoP proof header must carry the public key as "jwk"');
    if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) throw bad('The DPoP proof "jwk" must be a public key, without private members');
    if (!jwkMatchesAlgorithm(jwk as JWK, alg)) throw bad('The DPoP proof "jwk" does not fit its "alg"');
    const jkt = jwkThumbprint(jwk as JWK);
    if (jkt === undefined) throw bad('The DPoP proof "jwk" is not a valid public key');
    let key = this.keys.get(jkt);
    if (key === undefined) {
      const imported = importPublicKey(jwk as JWK, "DPoP proof key");
      if (imported instanceof OidcError) throw bad('The DPoP proof "jwk" is not a valid public key', imported.reason);
      if (this.keys.size >= KEY_CACHE_SIZE) this.keys.clear();
      this.keys.set(jkt, (key = imported));
    }
    return { key, jkt };
  }

  /** The normalised `htu` the proof must name: the public origin or the request's scheme and Host, then the path. */
  private expectedUri(settings: DpopSettings, target: DpopTarget): string {
    let origin = settings.publicOrigin;
    if (origin === undefined) {
      // A missing or malformed Host would let a proof for one endpoint pass for another (express-oauth2-jwt-bearer#244).
      if (target.host === undefined || !HOST_HEADER.test(target.host)) throw bad("The request has a missing or malformed Host header", "bad Host");
      if (target.protocol !== "http" && target.protocol !== "https") throw bad("The request URL could not be determined", `protocol ${target.protocol}`);
      origin = `${target.protocol}://${target.host}`;
    }
    const path = target.path.split(/[?#]/, 1)[0] ?? "";
    if (!path.startsWith("/")) throw bad("The request URL could not be determined", "request target is not a path");
    const uri = normalizeHttpUri(`${origin}${path}`);
    if (uri === undefined) throw bad("The request URL could not be determined", "request URL does not parse");
    return uri;
  }

  /** Applies the nonce rules; returns the nonce to send the client, if any. */
  private nonceCheck(settings: DpopSettings, nonce: unknown, nowMs: number): string | undefined {
    const nonces = this.noncesFor(settings);
    if (nonces === undefined) return undefined;
    const current = nonces.current(nowMs);
    if (nonce === undefined) throw dpopRefusal("use_dpop_nonce", "The DPoP proof must carry the server's nonce", "DPoP proof without nonce", current);
    if (typeof nonce !== "string" || !nonces.accepts(nonce, nowMs)) throw dpopRefusal("use_dpop_nonce", "The DPoP proof nonce is invalid or expired", "DPoP proof with a bad nonce", current);
    return nonce === current ? undefined : current;
  }

  private noncesFor(settings: DpopSettings): DpopNonces | undefined {
    const secret = settings.dpopNonceSecret;
    if (secret === undefined) return undefined;
    if (this.nonces?.secret !== secret) this.nonces = new DpopNonces(secret);
    return this.nonces;
  }
}
