// Shared by the engine benchmarks: one streamed completion through the gateway, timed.

/** Streams `body` (stream + usage added) to `url`; the time of the first chunk since `t0`, the total, the tokens. */
export async function streamCompletion(url, key, body, t0 = performance.now(), timeoutMs = 60_000) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) return { ok: false, status: res.status, body: await res.text() };
  let first;
  let buf = '';
  for await (const chunk of res.body) {
    first ??= performance.now() - t0;
    buf += Buffer.from(chunk).toString();
  }
  const m = /"completion_tokens":(\d+)/.exec(buf);
  return { ok: true, firstMs: first, totalMs: performance.now() - t0, tokens: m ? Number(m[1]) : 0 };
}
