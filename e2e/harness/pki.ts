import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keys and certificates for a throwaway cluster, made with the openssl CLI (node:crypto cannot issue X.509
 * certificates). The apiserver's own serving certificate is self-signed by the apiserver (`--cert-dir`).
 */
export interface ClientIdentity {
  name: string;
  groups: string[];
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface Pki {
  dir: string;
  clientCaFile: string;
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
  issue(name: string, groups?: string[]): ClientIdentity;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createPki(dir: string): Pki {
  openssl(
    ['req', '-x509', ...EC, '-keyout', 'client-ca.key', '-out', 'client-ca.crt', '-days', '2'].concat([
      '-subj',
      '/CN=release-bot-e2e-client-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
  // Service-account tokens: the apiserver refuses to start without a signing key, even if nothing uses tokens.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'client.ext'), 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');

  return {
    dir,
    clientCaFile: join(dir, 'client-ca.crt'),
    serviceAccountKeyFile: join(dir, 'sa.key'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
    issue(name, groups = []) {
      // Kubernetes reads the user from CN and the groups from O.
      const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${name}`;
      openssl(['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'client-ca.crt',
          '-CAkey',
          'client-ca.key',
          '-CAcreateserial',
        ].concat(['-out', `${name}.crt`, '-days', '2', '-extfile', 'client.ext']),
        dir,
      );
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      return {
        name,
        groups,
        certFile,
        keyFile,
        cert: readFileSync(certFile, 'utf8'),
        key: readFileSync(keyFile, 'utf8'),
      };
    },
  };
}
