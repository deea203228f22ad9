/**
 * NumericDate spellings for the fuzz test, and the independent model of
 * which of them a verifier may accept. JSON can write numbers JavaScript
 * cannot keep (`1e400` is Infinity, `9007199254740993` is 2^53), so tokens
 * carrying them must be written as raw JSON text and signed.
 */
import fc from "fast-check";

/** The largest |NumericDate| accepted, in seconds (the last instant a JS Date holds). */
const MAX_SECONDS = 8_640_000_000_000n;

/** One number as the token's JSON writes it: a sign, digits, an optional fraction and an optional exponent. */
export interface Spelling {
  negative: boolean;
  integer: bigint;
  fraction: string;
  exponent: number | undefined;
}

export const spell = (s: Spelling): string =>
  `${s.negative ? "-" : ""}${s.integer}${s.fraction === "" ? "" : `.${s.fraction}`}${s.exponent === undefined ? "" : `e${s.exponent}`}`;

/** Spells `value` (a plausible date) plainly, with a fraction, or as mantissa × 10^k. */
const around = (value: number): fc.Arbitrary<Spelling> =>
  fc.oneof(
    fc.constant({ negative: value < 0, integer: BigInt(Math.abs(value)), fraction: "", exponent: undefined }),
    fc.constantFrom("5", "25", "999").map((fraction) => ({ negative: value < 0, integer: BigInt(Math.abs(value)), fraction, exponent: undefined })),
    fc.integer({ min: 1, max: 6 }).map((k) => {
      const digits = String(Math.abs(value)).padStart(k + 1, "0");
      return { negative: value < 0, integer: BigInt(digits.slice(0, -k)), fraction: digits.slice(-k), exponent: k };
    }),
  );

/** Spellings of a date `now + delta` seconds, of huge or overflowing numbers, and of zeros. */
export function dateSpelling(now: number): fc.Arbitrary<Spelling> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -400, max: 100_000 }).chain((delta) => around(now + delta)) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1).chain((sign) => fc.integer({ min: 1, max: 100_000 }).chain((d) => around(sign * d))) },
    {
      weight: 2,
      arbitrary: fc.record({
        negative: fc.boolean(),
        integer: fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 9_999n })),
        fraction: fc.constantFrom("", "5"),
        exponent: fc.option(fc.integer({ min: 5, max: 400 }), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom("0", "-0").map((z) => ({ negative: z === "-0", integer: 0n, fraction: "", exponent: undefined })) },
  );
}

/** |value| ≤ MAX_SECONDS, decided exactly on the decimal digits, never through a JavaScript number. */
function inRange(s: Spelling): boolean {
  const digits = BigInt(`${s.integer}${s.fraction}`);
  const scale = (s.exponent ?? 0) - s.fraction.length;
  return scale >= 0 ? digits * 10n ** BigInt(scale) <= MAX_SECONDS : digits <= MAX_SECONDS * 10n ** BigInt(-scale);
}

/** The dates a token carries: `exp` always, `nbf` and `iat` when drawn. */
export interface TokenDates {
  exp: Spelling;
  nbf: Spelling | undefined;
  iat: Spelling | undefined;
}

export const tokenDates = (now: number): fc.Arbitrary<TokenDates> =>
  fc.record({
    exp: dateSpelling(now),
    nbf: fc.option(dateSpelling(now), { nil: undefined, freq: 2 }),
    iat: fc.option(dateSpelling(now), { nil: undefined, freq: 2 }),
  });

/**
 * The model: every date present is a NumericDate in range, and the token
 * is in time at `now` with `tolerance` (exp after now − tolerance, nbf and
 * iat not after now + tolerance), and it lives at most `maxLifetime`
 * (exp − iat; without iat, exp − now within maxLifetime + tolerance). Times
 * are compared away from the boundaries the generator cannot hit exactly.
 */
export function datesMayBeAccepted(dates: TokenDates, now: number, tolerance: number, maxLifetime = 86_400): boolean {
  const present = [dates.exp, dates.nbf, dates.iat].filter((d): d is Spelling => d !== undefined);
  if (!present.every(inRange)) return false;
  const value = (s: Spelling): number => Number(spell(s));
  if (!(value(dates.exp) > now - tolerance)) return false;
  if (dates.nbf !== undefined && value(dates.nbf) > now + tolerance) return false;
  if (dates.iat !== undefined && value(dates.iat) > now + tolerance) return false;
  return dates.iat !== undefined ? value(dates.exp) - value(dates.iat) <= maxLifetime : value(dates.exp) - now <= maxLifetime + tolerance;
}

/** The claims set as JSON text, the dates spelled verbatim. */
export function payloadText(claims: Record<string, unknown>, dates: TokenDates): string {
  const members = Object.entries(claims).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  for (const [claim, spelling] of Object.entries(dates)) if (spelling !== undefined) members.push(`"${claim}":${spell(spelling as Spelling)}`);
  return `{${members.join(",")}}`;
}
