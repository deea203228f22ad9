/** Characters that must not reach a terminal as they are: C0/C1 controls (escape sequences), DEL, line separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Longest value shown; longer ones are cut (claims are not secrets, but a table should stay readable). */
const MAX_SHOWN = 200;

/** A value as the CLI shows it: strings quoted, lists comma-joined, nothing unprintable, nothing endless. */
export function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = "(unset)";
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === "string")) text = JSON.stringify(value.join(","));
  else text = JSON.stringify(value) ?? String(value);
  text = text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)` : text;
}

/** A setting's value in the settings table: like `show`, without quotes around plain words. */
export function showSetting(value: unknown): string {
  if (value === undefined) return "(unset)";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : show(value.join(",")).slice(1, -1);
  return typeof value === "string" ? show(value).slice(1, -1) : show(value);
}

/** Left-aligned columns separated by two spaces, each line indented by two. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd()).join("\n");
}

export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

/** An epoch-seconds claim as an ISO date and its distance from now. */
export function showTime(seconds: unknown, nowMs: number): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return show(seconds);
  const delta = Math.round(seconds - nowMs / 1000);
  const date = Math.abs(seconds) < 8.64e12 ? new Date(seconds * 1000).toISOString() : String(seconds);
  return `${date} (${delta >= 0 ? `in ${delta} s` : `${-delta} s ago`})`;
}
