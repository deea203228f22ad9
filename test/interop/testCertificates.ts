import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TestCertificates {
  /** PEM of the test CA, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** The server's key and certificate (PEM), for `https.createServer`. */
  key: string;
  cert: string;
  /** Removes the files. */
  remove(): void;
}

/**
 * A throw-away certificate authority and a server certificate it signed for
 * `hostname` (subjectAltName DNS), made with the `openssl` command (node:crypto
 * creates keys but not X.509 certificates). Valid one day, P-256 keys.
 */
export function makeTestCertificates(hostname: string): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), "ioserver-oidc-tls-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=ioserver-oidc test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
  openssl("req", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", `/CN=${hostname}`);
  writeFileSync(file("server.ext"), `subjectAltName=DNS:${hostname}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("server.pem"), "-days", "1", "-extfile", file("server.ext"));
  return {
    caFile: file("ca.pem"),
    key: readFileSync(file("server.key"), "utf8"),
    cert: readFileSync(file("server.pem"), "utf8"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
