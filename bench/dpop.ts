/**
 * `npm run bench:dpop [-- --quick]`: DPoP (RFC 9449) on an HTTP route.
 *
 * Three IOServer processes serve GET /bench: ioserver-oidc driven with a
 * repeated DPoP-bound token and a fresh proof per request (`Authorization:
 * DPoP` + `DPoP`), the same server driven with a repeated bearer token, and
 * the DPoP floor (two bare signature checks per request: the token's and
 * the proof's; bench/floor.ts). Every proof is used once: they are signed
 * (ES256) before each run and handed out in order across all connections.
 * Scenarios are interleaved round by round; figures are medians over the
 * rounds, and the ratio is the median of (DPoP rate ÷ floor rate) per round.
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { loadavg } from "node:os";
import autocannon from "autocannon";
import { fmt, median, startBenchIssuer, table } from "./common.js";
import { startServer } from "./launch.js";

const quick = process.argv.includes("--quick");
const SETTINGS = quick ? { rounds: 1, seconds: 2 } : { rounds: 3, seconds: 5 };
const CONNECTIONS = 50;
/** Proofs signed per run: more than the fastest scenario can use in `seconds`. */
const PROOFS_PER_SECOND = 12_000;


const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
const JWK = { kty, crv, x, y };
const jkt = createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url");
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** `count` single-use ES256 proofs of GET `htu` for `token`. */
function proofs(count: number, htu: string, token: string): string[] {
  const header = b64({ typ: "dpop+jwt", alg: "ES256", jwk: JWK });
  const ath = createHash("sha256").update(token).digest("base64url");
  const iat = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = `${header}.${b64({ jti: randomUUID(), htm: "GET", htu, iat, ath })}`;
    out.push(`${input}.${sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`);
  }
  return out;
}

/** One autocannon run; `headers()` gives each request's headers. Throws on any non-2xx answer. */
async function run(url: string, headers: () => Record<string, string>): Promise<number> {
  const result = await autocannon({
    url: `${url}/bench`,
    connections: CONNECTIONS,
    duration: SETTINGS.seconds,
    requests: [{ method: "GET", path: "/bench", setupRequest: (request) => ({ ...request, headers: headers() }) }],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result.requests.average;
}

async function main(): Promise<void> {
  const bench = await startBenchIssuer();
  const env = bench.issuer.env();
  const oidc = await startServer("oidc", env);
  const floor = await startServer("floor-dpop", env);
  const mint = (claims: Record<string, unknown>) => bench.issuer.mint({ sub: "user-1", roles: ["user"], ...claims }, { kid: bench.kids.ES256, expiresIn: 3600 });
  const bound = await mint({ cnf: { jkt } });
  const bearer = await mint({});
  const rates: Record<"dpop" | "bearer" | "floor", number[]> = { dpop: [], bearer: [], floor: [] };
  const ratios: number[] = [];
  const loads: number[] = [loadavg()[0] ?? 0];
  try {
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const dpopRun = async (url: string) => {
        const pool = proofs(PROOFS_PER_SECOND * SETTINGS.seconds, `${url}/bench`, bound);
        let next = 0;
        return run(url, () => {
          const proof = pool[next++];
          if (proof === undefined) throw new Error("proof pool exhausted: raise PROOFS_PER_SECOND");
          return { authorization: `DPoP ${bound}`, dpop: proof };
        });
      };
      const floorRate = await dpopRun(floor.url);
      const dpopRate = await dpopRun(oidc.url);
      const bearerRate = await run(oidc.url, () => ({ authorization: `Bearer ${bearer}` }));
      rates.floor.push(floorRate);
      rates.dpop.push(dpopRate);
      rates.bearer.push(bearerRate);
      ratios.push(dpopRate / floorRate);
      loads.push(loadavg()[0] ?? 0);
    }
  } finally {
    await oidc.stop();
    await floor.stop();
    await bench.issuer.close();
  }
  const ratio = median(ratios);
  console.log(`DPoP bench: ${SETTINGS.rounds} round(s) of ${SETTINGS.seconds} s, ${CONNECTIONS} connections, ES256 token and proofs; 1-min load average ${loads.map((l) => fmt(l, 2)).join(" → ")}\n`);
  // Each ratio pairs the two rates of one round; its median need not be the ratio of the medians.
  const perRound = (values: number[]) => `${fmt(median(values), 2)} [${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)}]`;
  const rounds = (values: number[]) => values.map((v) => fmt(v)).join(", ");
  console.log(
    table([
      ["scenario", "req/s (median)", "req/s per round", "× floor, per round: median [range]"],
      ["floor: two bare signature checks (token + proof)", fmt(median(rates.floor)), rounds(rates.floor), "1.00"],
      ["ioserver-oidc, DPoP: repeated bound token, fresh proof per request", fmt(median(rates.dpop)), rounds(rates.dpop), perRound(ratios)],
      ["ioserver-oidc, Bearer: the same repeated token (cache hit)", fmt(median(rates.bearer)), rounds(rates.bearer), perRound(rates.bearer.map((r, i) => r / (rates.floor[i] ?? r)))],
    ]),
  );
  console.log(`\ntarget DPoP ≥ 0.90× floor: ${ratio >= 0.9 ? "met" : "NOT met"} (${fmt(ratio, 2)}×)`);
}

await main();
