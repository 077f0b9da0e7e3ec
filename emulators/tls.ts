import { randomUUID, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  /** Server certificate/key shared by both emulators (SAN: IP 127.0.0.1, DNS localhost). */
  cert: string;
  key: string;
  caCertPath: string;
  /** Certificate registered as a credential of the API app, and the PEM (key + cert) the app uses. */
  apiClientCert: X509Certificate;
  apiClientCertificatePath: string;
}

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + days * 86_400_000) };
}

export async function createTlsMaterial(stateDir: string): Promise<TlsMaterial> {
  const [server, client] = await Promise.all([
    // A subject of its own per run: two emulator pairs can be trusted side by side (CAs are
    // looked up by subject name).
    generate(
      [
        { name: 'commonName', value: 'localhost' },
        { name: 'organizationName', value: `Emulators ${randomUUID()}` },
      ],
      {
        algorithm: 'sha256',
        ...validity(30),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 7, ip: '127.0.0.1' },
              { type: 2, value: 'localhost' },
            ],
          },
        ],
      },
    ),
    generate([{ name: 'commonName', value: 'entra-emulator-api-app' }], {
      algorithm: 'sha256',
      ...validity(365),
    }),
  ]);
  const caCertPath = join(stateDir, 'tls-cert.pem');
  const apiClientCertificatePath = join(stateDir, 'api-app-cert.pem');
  await Promise.all([
    writeFile(caCertPath, server.cert),
    writeFile(join(stateDir, 'tls-key.pem'), server.private, { mode: 0o600 }),
    // One PEM with key and certificate: the layout AZURE_CLIENT_CERTIFICATE_PATH expects.
    writeFile(apiClientCertificatePath, `${client.private}\n${client.cert}`, { mode: 0o600 }),
  ]);
  return {
    cert: server.cert,
    key: server.private,
    caCertPath,
    apiClientCert: new X509Certificate(client.cert),
    apiClientCertificatePath,
  };
}
