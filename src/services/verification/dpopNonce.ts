import { createHmac, timingSafeEqual } from "node:crypto";

/** One nonce per this many seconds; the previous and the next step's are accepted too. */
export const DPOP_NONCE_STEP_SECONDS = 60;

/**
 * Stateless DPoP server nonces (RFC 9449 §8): the HMAC-SHA256, keyed with
 * `AUTH_SERVICE_DPOP_NONCE_SECRET`, of the current time step. Every node
 * with the same secret issues and accepts the same nonces without talking
 * to the others. A nonce is accepted during its own step and the ones
 * before and after it (so 2 to 3 minutes, whatever small clock offset the
 * nodes have), and a proof whose nonce is not the current one gets the
 * current one in `DPoP-Nonce`.
 */
export class DpopNonces {
  private memo: { step: number; nonce: string } | undefined;

  constructor(readonly secret: string) {}

  /** The nonce of the step `nowMs` falls in. */
  current(nowMs: number): string {
    return this.forStep(stepOf(nowMs));
  }

  /** True when `nonce` is the nonce of the current, previous or next step. */
  accepts(nonce: string, nowMs: number): boolean {
    const step = stepOf(nowMs);
    const given = Buffer.from(nonce);
    for (const candidate of [step, step - 1, step + 1]) {
      const expected = Buffer.from(this.forStep(candidate));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
    return false;
  }

  private forStep(step: number): string {
    if (this.memo?.step === step) return this.memo.nonce;
    const nonce = createHmac("sha256", this.secret).update(`ioserver-oidc DPoP nonce ${step}`).digest("base64url");
    if (step >= (this.memo?.step ?? Number.NEGATIVE_INFINITY)) this.memo = { step, nonce };
    return nonce;
  }
}

function stepOf(nowMs: number): number {
  return Math.floor(nowMs / 1000 / DPOP_NONCE_STEP_SECONDS);
}
