import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { describePod, podView } from './pods.js';

const pod = (status: V1Pod['status']): V1Pod => ({
  metadata: { name: 'chat-1-abc', labels: { 'inferscale.dev/deployment': 'chat' }, creationTimestamp: new Date(0) },
  spec: { nodeName: 'gpu-node-1', containers: [] },
  status,
});
const DENIED =
  'fetching with the Hugging Face token from $HF_TOKEN\ncannot fetch the model from https://huggingface.co/org/gated/resolve/main/g.gguf: HTTP 401 from huggingface.co';

describe('what a replica pod says about itself', () => {
  it('a model fetch that fails shows the init container, its reason and its last message, with the restarts', () => {
    const v = podView(
      pod({
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'fetch-model',
            ready: false,
            restartCount: 3,
            image: 'i',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', message: DENIED } },
          },
        ],
        containerStatuses: [{ name: 'engine', ready: false, restartCount: 0, image: 'i', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    );
    assert.equal(
      v.waitingReason,
      'fetch-model: CrashLoopBackOff: cannot fetch the model from https://huggingface.co/org/gated/resolve/main/g.gguf: HTTP 401 from huggingface.co',
    );
    assert.equal(v.restarts, 3);
    assert.equal(describePod(v, 'karpenter', 90_000, 0), `pod chat-1-abc on gpu-node-1: ${v.waitingReason} (3 restarts) (1m30s)`);
  });

  it("a fetch still running, or done, is not a failure; the engine's own waiting reason shows", () => {
    const running = podView(
      pod({ initContainerStatuses: [{ name: 'fetch-model', ready: false, restartCount: 0, image: 'i', imageID: '', state: { running: {} } }] }),
    );
    assert.equal(running.waitingReason, undefined);
    assert.equal(describePod(running, 'karpenter', 5_000, 0), 'pod chat-1-abc on gpu-node-1: loading the model (5s)');
    const done = podView(
      pod({
        initContainerStatuses: [
          { name: 'fetch-model', ready: true, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
        containerStatuses: [{ name: 'engine', ready: false, restartCount: 2, image: 'i', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      }),
    );
    assert.equal(done.waitingReason, 'CrashLoopBackOff');
    assert.equal(done.restarts, 2);
  });
});
