import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabContext } from "../context.js";

/**
 * The lab's own CA and one server certificate for the Ingress hosts, made with openssl (on every
 * Mac, as LibreSSL, and on Linux). Kept in .lab/tls/ so a rerun of lab:up reuses them and a user
 * can trust ca.crt once. 825 days is the longest validity macOS accepts for a TLS server
 * certificate (Apple, "Requirements for trusted certificates in iOS 13 and macOS 10.15",
 * https://support.apple.com/en-us/103769).
 */
export interface LabTls {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

const DAYS = "825";

export function labTlsPaths(ctx: LabContext): LabTls {
  const dir = ctx.state.path("tls");
  return { dir, caCert: join(dir, "ca.crt"), caKey: join(dir, "ca.key"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
}

/** The openssl argv lists, in order: CA, then a key + CSR, then the CA signs it with the hosts as SANs. */
export function opensslCommands(tls: LabTls, hosts: readonly string[]): { argv: string[]; extFile: string; extText: string }[] {
  const csr = join(tls.dir, "tls.csr");
  const extFile = join(tls.dir, "server.ext");
  const extText = `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`;
  return [
    {
      argv: ["openssl", "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", tls.caKey, "-out", tls.caCert, "-days", DAYS, "-subj", "/CN=anka-lab local CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
      extFile,
      extText,
    },
    { argv: ["openssl", "req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", tls.key, "-out", csr, "-subj", `/CN=${hosts[0]}`], extFile, extText },
    {
      argv: ["openssl", "x509", "-req", "-in", csr, "-CA", tls.caCert, "-CAkey", tls.caKey, "-CAcreateserial", "-out", tls.cert, "-days", DAYS, "-extfile", extFile],
      extFile,
      extText,
    },
  ];
}

/** Makes the CA and certificate unless all four files exist; returns whether it made them. */
export async function ensureLabTls(ctx: LabContext, hosts: readonly string[]): Promise<{ tls: LabTls; made: boolean }> {
  const tls = labTlsPaths(ctx);
  if ([tls.caCert, tls.caKey, tls.cert, tls.key].every((f) => existsSync(f))) return { tls, made: false };
  const commands = opensslCommands(tls, hosts);
  if (!ctx.dryRun) {
    mkdirSync(tls.dir, { recursive: true, mode: 0o700 });
    writeFileSync(commands[0]!.extFile, commands[0]!.extText);
  }
  for (const c of commands) await ctx.change(c.argv, { timeoutMs: 60_000, hint: "install openssl (it ships with macOS; on Debian: apt-get install openssl)" });
  return { tls, made: true };
}
