/**
 * What a local replica inherits from the server's environment: an allow-list, not everything. The server's
 * environment may hold its admin token (INFERSCALE_TOKEN), cloud credentials (AWS_*, GOOGLE_*, AZURE_*) and
 * kubeconfigs, none of which an engine needs. Passed: the basics of a process (PATH, HOME, locale, temp
 * dir, CA bundles and proxies), GPU and engine settings (CUDA_*, NVIDIA_*, NCCL_*, HF_*, VLLM_*, SGLANG_*,
 * TORCH_*, ...), Python environments, and whatever INFERSCALE_REPLICA_ENV names (comma-separated names, or
 * prefixes ending in `*`). The engine's own variables (CUDA_VISIBLE_DEVICES, its key) are set on top.
 */
const NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TERM',
  'LD_LIBRARY_PATH',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONUNBUFFERED',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'CONDA_DEFAULT_ENV',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
]);
const PREFIXES = [
  'LC_',
  'CUDA_',
  'NVIDIA_',
  'NCCL_',
  'HF_',
  'HUGGING_FACE_',
  'TRANSFORMERS_',
  'VLLM_',
  'SGLANG_',
  'TORCH_',
  'OMP_',
  'XDG_',
  'GGML_',
  'LLAMA_',
  'NODE_LLAMA_CPP_',
];

export const REPLICA_ENV_EXTRA = 'INFERSCALE_REPLICA_ENV';

export function replicaEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const extra = (env[REPLICA_ENV_EXTRA] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const names = new Set([...NAMES, ...extra.filter((e) => !e.endsWith('*'))]);
  const prefixes = [...PREFIXES, ...extra.filter((e) => e.endsWith('*')).map((e) => e.slice(0, -1))];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (names.has(k) || prefixes.some((p) => k.startsWith(p)))) out[k] = v;
  }
  return out;
}
