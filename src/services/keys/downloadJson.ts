/**
 * GETs a JSON document from an issuer (its JWKS, its discovery metadata)
 * within bounds: rejects on timeout, redirects (documents come from the
 * configured or discovered URI only), non-200, bodies over `maxBytes`
 * (declared or streamed) and bodies that are not JSON. Error messages say
 * why, for the log; they never contain the body.
 */
export async function downloadJson(uri: string, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(uri, { redirect: "manual", signal, headers: { accept: "application/json" } });
  } catch (error) {
    throw new Error(signal.aborted ? `timed out after ${timeoutMs} ms` : `request failed: ${describe(error)}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
    throw Object.assign(new Error(`HTTP ${response.status}${redirect}`), { status: response.status });
  }
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`body larger than ${maxBytes} bytes`);
  }
  const body = await readLimited(response, signal, timeoutMs, maxBytes);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new Error("body is not JSON");
  }
}

/** The HTTP status of a `downloadJson` rejection that was an answer other than 200, if it was one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

async function readLimited(response: Response, signal: AbortSignal, timeoutMs: number, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new Error(`body larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`timed out after ${timeoutMs} ms`, { cause: error });
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
