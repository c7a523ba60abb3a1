/** Small load helpers for integration tests: real HTTP, bounded in count and time, loopback only. */
export interface CallResult {
  status: number;
  ok: boolean;
  error?: string;
  body: string;
}

export async function chat(
  url: string,
  key: string,
  opts: { stream?: boolean; maxTokens?: number; signal?: AbortSignal; model?: string } = {},
): Promise<CallResult> {
  try {
    const res = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: opts.model ?? 'm',
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: opts.maxTokens ?? 4,
        stream: !!opts.stream,
      }),
      signal: opts.signal,
    });
    const body = await res.text();
    const complete = !opts.stream || body.trimEnd().endsWith('data: [DONE]');
    return { status: res.status, ok: res.ok && complete, body, error: complete ? undefined : 'stream cut short' };
  } catch (e) {
    return { status: 0, ok: false, body: '', error: String((e as Error).cause ?? e) };
  }
}

/** Runs `workers` loops of requests until `stop()` resolves; returns every result. */
export async function steadyLoad(workers: number, call: () => Promise<CallResult>, until: Promise<unknown>): Promise<CallResult[]> {
  let done = false;
  void until.then(() => (done = true));
  const results: CallResult[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done) results.push(await call());
    }),
  );
  return results;
}

/** Parses a Prometheus text exposition into "name{labels}" -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

export function sumMetric(metrics: Map<string, number>, name: string, labelFilter: (labels: string) => boolean = () => true): number {
  let s = 0;
  for (const [k, v] of metrics) {
    const b = k.indexOf('{');
    const n = b < 0 ? k : k.slice(0, b);
    if (n === name && labelFilter(b < 0 ? '' : k.slice(b))) s += v;
  }
  return s;
}
