import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { KubeClient, type KubeCredentials, type KubeObject } from './kube';
import { createPki } from './pki';
import { assertAlive, type Child, freePort, startChild, waitFor } from './processes';

/** Where e2e/build.sh puts the binaries and crds.json. */
export const BIN_DIR = process.env.E2E_BIN_DIR ?? resolve(__dirname, '../../.build/e2e-bin');

export interface BuildInfo {
  versions: { kubeApiserver: string; etcd: string; flagger: string; istioApi: string };
  crds: { flagger: string; istio: string };
}

export function buildInfo(): BuildInfo {
  const file = join(BIN_DIR, 'crds.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run e2e/build.sh first (it builds kube-apiserver, etcd and flagger)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
}

export interface Cluster {
  server: string;
  /** system:masters: for the harness and Flagger. */
  admin: KubeClient;
  adminKubeconfig: string;
  /** The bot's identity: authenticated, and allowed nothing until a test binds a role to it. */
  releaseBot: KubeClient;
  releaseBotKubeconfig: string;
  children: Child[];
  stop(): Promise<void>;
}

/**
 * etcd and kube-apiserver on loopback, with client-certificate authentication and RBAC, and no controllers,
 * scheduler or kubelets: objects are stored and served, and nothing acts on them unless a test does.
 */
export async function startCluster(workDir: string, logDir: string): Promise<Cluster> {
  const children: Child[] = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
  };
  try {
    const pkiDir = join(workDir, 'pki');
    const certDir = join(workDir, 'apiserver-certs');
    mkdirSync(pkiDir, { recursive: true });
    mkdirSync(certDir, { recursive: true });
    const pki = createPki(pkiDir);

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = startChild(
      'etcd',
      join(BIN_DIR, 'etcd'),
      [
        '--name=e2e',
        `--data-dir=${join(workDir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
        '--log-level=warn',
        // a test cluster: no fsync per write (etcd's own integration tests do the same)
        '--unsafe-no-fsync',
        '--quota-backend-bytes=1073741824',
      ],
      logDir,
    );
    children.push(etcd);
    await waitFor(
      'etcd /health',
      async () => {
        assertAlive(etcd);
        const res = await fetch(`${etcdUrl}/health`);
        return res.ok ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => etcd.tail() },
    );

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startChild(
      'kube-apiserver',
      join(BIN_DIR, 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        // self-signed serving certificate for 127.0.0.1/localhost, written to cert-dir
        `--cert-dir=${certDir}`,
        `--client-ca-file=${pki.clientCaFile}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
        `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--api-audiences=https://kubernetes.default.svc.cluster.local',
        // a range is required to allocate ClusterIPs for the Services Flagger creates; nothing routes to them
        '--service-cluster-ip-range=10.96.0.0/16',
        // no kube-controller-manager: nothing would create the namespace's default ServiceAccount
        '--disable-admission-plugins=ServiceAccount',
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=1',
      ],
      logDir,
    );
    children.push(apiserver);

    const servingCa = await waitFor(
      'the apiserver serving certificate',
      async () => {
        assertAlive(apiserver);
        const file = join(certDir, 'apiserver.crt');
        return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      },
      { timeoutMs: 60_000, describe: () => apiserver.tail() },
    );
    const adminId = pki.issue('e2e-admin', ['system:masters']);
    const botId = pki.issue('release-bot', ['release-bot']);
    const adminCreds: KubeCredentials = { server, ca: servingCa, cert: adminId.cert, key: adminId.key };
    const botCreds: KubeCredentials = { server, ca: servingCa, cert: botId.cert, key: botId.key };
    const admin = new KubeClient(adminCreds);
    const releaseBot = new KubeClient(botCreds);
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        assertAlive(apiserver);
        const res = await admin.raw('GET', '/readyz');
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, describe: () => apiserver.tail() },
    );

    const adminKubeconfig = join(workDir, 'admin.kubeconfig');
    const releaseBotKubeconfig = join(workDir, 'release-bot.kubeconfig');
    writeFileSync(adminKubeconfig, kubeconfig('e2e-admin', adminCreds));
    writeFileSync(releaseBotKubeconfig, kubeconfig('release-bot', botCreds));

    return {
      server,
      admin,
      adminKubeconfig,
      releaseBot,
      releaseBotKubeconfig,
      children,
      stop: async () => {
        admin.close();
        releaseBot.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function kubeconfig(user: string, creds: KubeCredentials): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server: creds.server, 'certificate-authority-data': b64(creds.ca) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(creds.cert), 'client-key-data': b64(creds.key) } }],
      contexts: [{ name: user, context: { cluster: 'e2e', user } }],
      'current-context': user,
    },
    null,
    2,
  );
}

export interface Manifest {
  /** kind, apiVersion and metadata, read leniently: enough to address the object */
  object: KubeObject;
  /** the document exactly as written, for the apiserver to parse */
  text: string;
}

/**
 * The documents of a multi-document YAML file. The text is sent as is: controller-gen's CRDs (Flagger's) contain
 * multi-line single-quoted descriptions indented as Go's YAML reader accepts and the `yaml` package rejects
 * ("Missing closing 'quote"), so only the apiserver parses the whole document; here we read the header fields.
 */
export function readManifests(file: string): Manifest[] {
  return readFileSync(file, 'utf8')
    .split(/^---[ \t]*$/m)
    .map((text) => {
      const header = parseDocument(text, { strict: false }).toJS() as Partial<KubeObject> | null;
      return header?.kind && header.apiVersion && header.metadata?.name
        ? { object: { apiVersion: header.apiVersion, kind: header.kind, metadata: header.metadata }, text }
        : undefined;
    })
    .filter((m): m is Manifest => m !== undefined);
}

/**
 * Applies Flagger's and Istio's CRDs, straight from the Go module cache (paths from e2e/build.sh), and waits
 * until each is Established.
 */
export async function applyCrds(admin: KubeClient, info = buildInfo()): Promise<string[]> {
  const crds = [...readManifests(info.crds.flagger), ...readManifests(info.crds.istio)].filter(
    (m) => m.object.kind === 'CustomResourceDefinition',
  );
  for (const crd of crds) await admin.applyText(crd.object, crd.text);
  for (const { object } of crds) {
    await waitFor(`CRD ${object.metadata.name} Established`, async () => {
      const live = await admin.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${object.metadata.name}`,
      );
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
  return crds.map((c) => c.object.metadata.name);
}
