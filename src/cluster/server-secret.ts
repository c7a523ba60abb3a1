/**
 * The secrets every server replica must share: the admin token (API and CLI) and the key that seals
 * deployment API keys (reveal-api-key works on whichever replica leads). In a Kubernetes namespace they
 * live in one Secret; the first replica to start creates it, and the others read what it wrote (a create
 * that conflicts means another replica won the race).
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { generateToken } from '../security/secrets.js';
import { isConflict, isNotFound, type KubeClient } from '../providers/kubernetes/client.js';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../providers/kubernetes/labels.js';

export const SERVER_SECRET = 'inferscale-server';

export interface ServerSecrets {
  adminToken: string;
  /** 32 bytes, hex: the KeyBox key */
  secretKey: string;
}

function decode(s: V1Secret): ServerSecrets | undefined {
  const get = (k: string) => (s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString().trim() : undefined);
  const adminToken = get('admin-token');
  const secretKey = get('secret-key');
  return adminToken && secretKey ? { adminToken, secretKey } : undefined;
}

/** Reads the shared secrets, creating them on first use. */
export async function ensureServerSecrets(k: KubeClient): Promise<ServerSecrets> {
  const namespace = k.namespace;
  const read = async () => decode(await k.core.readNamespacedSecret({ name: SERVER_SECRET, namespace }));
  try {
    const found = await read();
    if (found) return found;
    throw new Error(`Secret ${SERVER_SECRET} in ${namespace} lacks admin-token or secret-key; delete it to have one made`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const made: ServerSecrets = { adminToken: generateToken(), secretKey: randomBytes(32).toString('hex') };
  try {
    await k.core.createNamespacedSecret({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: SERVER_SECRET, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
        data: { 'admin-token': Buffer.from(made.adminToken).toString('base64'), 'secret-key': Buffer.from(made.secretKey).toString('base64') },
      },
    });
    return made;
  } catch (e) {
    if (!isConflict(e)) throw e;
    const theirs = await read();
    if (!theirs) throw new Error(`Secret ${SERVER_SECRET} was created by another replica without admin-token or secret-key`);
    return theirs;
  }
}
