/**
 * A throw-away self-signed certificate for TLS tests, made by `openssl`.
 *
 * @module
 */

/** Writes a self-signed EC certificate for 127.0.0.1/localhost into `dir` and returns its PEM texts. */
export async function selfSignedCertificate(
  dir: string,
): Promise<{ certificate: string; key: string }> {
  const output = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `openssl failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return {
    certificate: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
}
