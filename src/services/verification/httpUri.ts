/** RFC 3986 §2.3 unreserved characters: their percent-encoded form means the same URI. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const PERCENT_ENCODED = /%([0-9A-Fa-f]{2})/g;

/**
 * An http(s) URI as RFC 9449 §4.3 compares `htu`: without query and
 * fragment, after RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based
 * normalisation. The WHATWG URL parser lower-cases scheme and host, drops
 * the default port, resolves dot segments and gives an empty path as "/";
 * on top of that, percent-encodings of unreserved characters are decoded
 * and the others' hex digits upper-cased. Returns `undefined` for anything
 * that is not an absolute http(s) URI.
 */
export function normalizeHttpUri(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  url.search = "";
  url.hash = "";
  const path = url.pathname.replace(PERCENT_ENCODED, (encoded, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.username === "" && url.password === "" ? "" : `${url.username}:${url.password}@`}${url.host}${path}`;
}
