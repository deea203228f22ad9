import { expect, test } from "@jest/globals";
import { normalizeHttpUri } from "../../../src/services/verification/httpUri.js";

test.each([
  ["HTTPS://API.Example.COM/a", "https://api.example.com/a"],
  ["https://api.example.com:443/a", "https://api.example.com/a"],
  ["http://api.example.com:80/a", "http://api.example.com/a"],
  ["http://api.example.com:8080/a", "http://api.example.com:8080/a"],
  ["https://api.example.com", "https://api.example.com/"],
  ["https://api.example.com/a/./b/../c", "https://api.example.com/a/c"],
  ["https://api.example.com/%7Euser/%61", "https://api.example.com/~user/a"],
  ["https://api.example.com/a%2fb", "https://api.example.com/a%2Fb"],
  ["https://api.example.com/a?q=1#frag", "https://api.example.com/a"],
])("%s normalises to %s (RFC 3986 §6.2.2, §6.2.3; query and fragment dropped)", (input, expected) => {
  expect(normalizeHttpUri(input)).toBe(expected);
});

test("a percent-encoded slash stays apart from a slash", () => {
  expect(normalizeHttpUri("https://a.example/x%2Fy")).not.toBe(normalizeHttpUri("https://a.example/x/y"));
});

test.each(["/relative", "ws://api.example.com/a", "ftp://api.example.com/", "not a url", ""])("%s is not an http(s) URI", (input) => {
  expect(normalizeHttpUri(input)).toBeUndefined();
});
