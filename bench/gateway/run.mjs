#!/usr/bin/env node
// Gateway benchmark: the same load, on loopback, against (a) a replica directly, (b) nginx as an
// equivalent keep-alive reverse proxy, (c) the inferscale gateway with auth, routing and metrics on.
// Needs: wrk and nginx (Debian packages). Prints a markdown table; --write updates docs/benchmarks.md.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { updateSection, machine } from '../lib/report.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const STREAMS = Number(process.env.BENCH_OPEN_STREAMS ?? 5000);
const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'bench-gw-'));
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(cmd, args, opts = {}) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.push(c);
  c.stdout.on('data', () => {});
  c.stderr.on('data', (d) => process.env.BENCH_DEBUG && process.stderr.write(d));
  return c;
}
async function waitHttp(url, headers = {}) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers });
      if (r.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`not up: ${url}`);
}
function rssMb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]) / 1024;
}

// (c) the inferscale server with one sim replica that answers at once
const port = 18900;
const dataDir = join(work, 'data');
const server = start(
  process.execPath,
  [join(root, 'bin/inferscale.js'), 'server', '--port', String(port), '--data-dir', dataDir, '--virtual-gpus', '2', '--stop-replicas-on-exit'],
  { env: { ...process.env } },
);
await waitHttp(`http://127.0.0.1:${port}/healthz`);
const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
const api = (method, path, body) =>
  fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  }).then((r) => r.json());
const dep = await api('POST', '/deployments', {
  name: 'bench',
  modelName: 'm',
  replicas: 1,
  maxOngoingRequests: 10000,
  maxQueuedRequests: 10000,
  engineParams: `--startup-seconds 0 --ttft-ms 0 --itl-ms 0 --prefill-ms-per-token 0 --jitter 0 --max-num-seqs ${STREAMS + 100} --max-waiting 100000`,
});
let replica;
for (;;) {
  const d = await api('GET', '/deployments/bench');
  replica = d.replicaDetails.find((r) => r.state === 'ready');
  if (replica) break;
  await sleep(100);
}
const key = dep.apiKey;

// (b) nginx, keep-alive upstream to the same replica
const nginxPort = 18901;
const conf = `worker_processes 1; daemon off; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 20000; }
http { access_log off; upstream replica { server 127.0.0.1:${replica.port}; keepalive 256; }
  client_body_temp_path ${work}; proxy_temp_path ${work}; fastcgi_temp_path ${work}; uwsgi_temp_path ${work}; scgi_temp_path ${work};
  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://replica; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } } }`;
writeFileSync(join(work, 'nginx.conf'), conf);
start('nginx', ['-c', join(work, 'nginx.conf'), '-p', work]);
await waitHttp(`http://127.0.0.1:${nginxPort}/health`);

const targets = {
  direct: `http://127.0.0.1:${replica.port}/v1/chat/completions`,
  nginx: `http://127.0.0.1:${nginxPort}/v1/chat/completions`,
  gateway: `http://127.0.0.1:${port}/d/bench/v1/chat/completions`,
};

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}
function nginxWorkerPid() {
  return Number(execFileSync('pgrep', ['-f', `nginx: worker process`], { encoding: 'utf8' }).trim().split('\n').pop());
}

function wrk(url, body, pid, seconds = DURATION) {
  const before = pid ? cpuMs(pid) : 0;
  const lua = join(work, `post-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`,
  );
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', lua, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const total = Number(/(\d+) requests in/.exec(out)[1]);
  const cpuUsPerReq = pid ? ((cpuMs(pid) - before) * 1000) / total : NaN;
  return { rps, p50: pct(50), p99: pct(99), errors: errors ? Number(errors[1]) : 0, cpuUsPerReq };
}

const small = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
const streamTokens = 64;
const streaming = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: streamTokens });
const rows = [];
for (const [kind, body] of [
  ['small JSON', small],
  ['streaming 64 tokens', streaming],
]) {
  const res = {};
  const pids = { direct: replica.pid, nginx: nginxWorkerPid(), gateway: server.pid };
  for (const [name, url] of Object.entries(targets)) {
    wrk(url, body, 0, 2); // warm-up (JIT, connection pools), not counted
    res[name] = wrk(url, body, pids[name]);
    process.stderr.write(`${kind} ${name}: ${JSON.stringify(res[name])}\n`);
  }
  rows.push({ kind, res });
}

// memory with STREAMS concurrent open streams through the gateway, on a second deployment whose
// replica sends a token every 2 s (so the streams stay open while we measure)
const slow = await api('POST', '/deployments', {
  name: 'streams',
  modelName: 'm',
  replicas: 1,
  maxOngoingRequests: 10000,
  maxQueuedRequests: 10000,
  engineParams: `--startup-seconds 0 --ttft-ms 0 --itl-ms 2000 --jitter 0 --max-num-seqs ${STREAMS + 100} --max-waiting 100000`,
});
for (;;) {
  const d = await api('GET', '/deployments/streams');
  if (d.error) throw new Error(`streams deployment: ${JSON.stringify(d.error)}`);
  if (d.readyReplicas === 1) break;
  await sleep(200);
}
if (slow.error) throw new Error(`streams deployment: ${JSON.stringify(slow.error)}`);
const streamsUrl = `http://127.0.0.1:${port}/d/streams/v1/chat/completions`;
const rssBefore = rssMb(server.pid);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
let opened = 0;
const reqs = [];
for (let i = 0; i < STREAMS; i++) {
  reqs.push(
    new Promise((resolve) => {
      const req = http.request(
        streamsUrl,
        { method: 'POST', agent, headers: { authorization: `Bearer ${slow.apiKey}`, 'content-type': 'application/json' } },
        (res) => {
          res.once('data', () => {
            opened++;
            resolve(res);
          });
          res.on('error', () => {});
        },
      );
      req.on('error', () => resolve(null));
      req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }));
    }),
  );
}
await Promise.race([Promise.all(reqs), sleep(60_000)]);
await sleep(1000);
const rssStreams = rssMb(server.pid);
agent.destroy(); // closes every socket, open streams included

const ratio = (a, b) => (a / b).toFixed(2);
let md = `Command: \`npm run bench:gateway\` (wrk -t1 -c${CONNECTIONS} -d${DURATION}s per target after a 2 s warm-up, loopback; the load generator, the proxy and the replica share the machine's 2 cores, so throughput is bounded by CPU shared three ways; "CPU µs per request" is the proxy's own CPU time (utime + stime from /proc) divided by the requests served, the figure least disturbed by the sharing).\n\n${machine()}\n\n`;
md += '| load | target | req/s | p50 ms | p99 ms | non-2xx | CPU µs per request (replica, nginx worker or gateway process) |\n|---|---|---|---|---|---|---|\n';
for (const { kind, res } of rows)
  for (const [name, r] of Object.entries(res))
    md += `| ${kind} | ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.cpuUsPerReq.toFixed(0)} |\n`;
md +=
  '\n| load | gateway/nginx throughput | gateway/direct throughput | added p50 vs direct (ms) | streaming tokens/s gateway vs direct |\n|---|---|---|---|---|\n';
for (const { kind, res } of rows) {
  const tok = kind.startsWith('streaming')
    ? `${(res.gateway.rps * streamTokens).toFixed(0)} vs ${(res.direct.rps * streamTokens).toFixed(0)} (${ratio(res.gateway.rps, res.direct.rps)}x)`
    : '-';
  md += `| ${kind} | ${ratio(res.gateway.rps, res.nginx.rps)} | ${ratio(res.gateway.rps, res.direct.rps)} | ${(res.gateway.p50 - res.direct.p50).toFixed(2)} | ${tok} |\n`;
}
md += `\nOn a shared 2-core machine, throughput ratios move by tens of percent between runs (the three processes compete for two cores); compare the CPU µs per request column across runs. Profile (\`node --cpu-prof\` on the server under wrk): most of the gateway's time is in writev syscalls and Node's HTTP server and undici per request; auth (SHA-256), admission and metrics are each a few percent.\n`;
md += `\nOpen streams: ${opened} of ${STREAMS} concurrent streams open through the gateway; gateway process RSS ${rssBefore.toFixed(0)} MB before, ${rssStreams.toFixed(0)} MB with them open.\n`;
process.stdout.write(md);
if (process.argv.includes('--write')) updateSection(join(root, 'docs/benchmarks.md'), '## Gateway', md);
for (const c of children) c.kill('SIGTERM');
await sleep(300);
try {
  execFileSync('pkill', ['-f', `data-dir ${dataDir}`]);
} catch {}
process.exit(0);
