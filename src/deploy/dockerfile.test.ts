// deploy/Dockerfile read as Docker reads it (no container engine runs here to build it: docs/kubernetes.md,
// "The image"): multi-stage and built inside, on a Node.js LTS that is not past its end of life, production
// dependencies only, the llama.cpp binaries for CPU and CUDA from the lock file, a numeric non-root user
// that the server's securityContext names, and the OCI labels.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAllYaml } from '@kubernetes/client-node';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(ROOT + p, 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  body: Instruction[];
}

/** Stages of a Dockerfile: continuation lines joined, comments dropped, ARGs before the first FROM in `globals`. */
function parseDockerfile(text: string): { globals: Instruction[]; stages: Stage[] } {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const globals: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(l);
    assert.ok(m, `instruction: ${l}`);
    const ins = { op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') };
    if (ins.op === 'FROM') {
      const f = /^(\S+)(?: AS (\S+))?$/i.exec(ins.args);
      assert.ok(f, `FROM ${ins.args}`);
      stages.push({ from: f[1], name: f[2] ?? String(stages.length), body: [] });
    } else if (stages.length) stages[stages.length - 1].body.push(ins);
    else globals.push(ins);
  }
  return { globals, stages };
}

/** End of life of each Node.js LTS line (nodejs.org/en/about/previous-releases). */
const NODE_LTS_END_OF_LIFE: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30' };

const { globals, stages } = parseDockerfile(read('deploy/Dockerfile'));
const stage = (name: string) => {
  const s = stages.find((x) => x.name === name);
  assert.ok(s, `stage ${name}`);
  return s;
};
const argDefault = (name: string) => globals.find((g) => g.op === 'ARG' && g.args.startsWith(`${name}=`))?.args.split('=')[1];
const runs = (s: Stage) =>
  s.body
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join(' && ');
/** The stages an image is taken from: those that say what to run. */
const targets = stages.filter((s) => s.body.some((i) => i.op === 'ENTRYPOINT'));

describe('deploy/Dockerfile', () => {
  it('is multi-stage and builds inside: npm ci and tsc in a build stage, nothing built on the host copied in', () => {
    assert.ok(stages.length >= 3, 'build, deps and a runtime stage');
    assert.match(runs(stage('build')), /npm ci .*tsc -p tsconfig\.json/);
    for (const s of stages) {
      for (const c of s.body.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))) {
        const sources = c.args.split(' ').slice(0, -1);
        for (const src of sources) {
          assert.ok(!/^(dist|node_modules)\b/.test(src), `stage ${s.name}: COPY ${src} from the host`);
          assert.ok(existsSync(ROOT + src), `stage ${s.name}: COPY ${src} exists in the repository`);
        }
      }
    }
    const ignore = read('deploy/Dockerfile.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '**', 'the build context is what is re-included, nothing else');
    assert.ok(!ignore.some((l) => /^!(dist|node_modules)/.test(l)), 'dist and node_modules stay out of the context');
  });

  it('runs on a Node.js LTS that is not past its end of life and that package.json engines admits', () => {
    const major = Number(argDefault('NODE_VERSION'));
    assert.ok(NODE_LTS_END_OF_LIFE[major], `Node ${major} is an LTS line`);
    assert.ok(
      Date.parse(NODE_LTS_END_OF_LIFE[major]) > Date.now(),
      `Node ${major} reached its end of life on ${NODE_LTS_END_OF_LIFE[major]}: move deploy/Dockerfile to the current LTS`,
    );
    const engines: string = JSON.parse(read('package.json')).engines.node;
    const admits = (r: string) => {
      const m = /^(\^|>=)(\d+)/.exec(r.trim());
      return !!m && (m[1] === '^' ? Number(m[2]) === major : Number(m[2]) <= major);
    };
    assert.ok(engines.split('||').some(admits), `engines ${engines} admits ${major}`);
    for (const s of stages.filter((x) => x.from.startsWith('node:')))
      assert.equal(s.from.split(':')[1].split('-')[0], '${NODE_VERSION}', `stage ${s.name} takes NODE_VERSION`);
  });

  it('installs production dependencies only, keeping the CPU and CUDA llama.cpp packages of the lock file', () => {
    const deps = runs(stage('deps'));
    assert.match(deps, /npm ci --omit=dev/);
    const lock = JSON.parse(read('package-lock.json')).packages;
    const llama = lock['node_modules/node-llama-cpp'].version;
    for (const p of ['linux-x64', 'linux-x64-cuda', 'linux-x64-cuda-ext']) {
      assert.equal(lock[`node_modules/@node-llama-cpp/${p}`]?.version, llama, `@node-llama-cpp/${p} ${llama} in package-lock.json`);
      assert.match(deps, new RegExp(`! -name ${p}(\\s|$)`), `the prune keeps ${p}`);
    }
    assert.match(deps, /test -d node_modules\/@node-llama-cpp\/linux-x64 && test -d node_modules\/@node-llama-cpp\/linux-x64-cuda/);
    for (const t of targets)
      assert.ok(
        t.body.some((i) => i.op === 'COPY' && i.args.startsWith('--from=app ')),
        `${t.name} takes /app from the app stage`,
      );
    assert.ok(
      stage('app').body.some((i) => i.op === 'COPY' && i.args.startsWith('--from=deps ')),
      'app takes node_modules from deps',
    );
  });

  it("each target runs as the numeric non-root user the server's securityContext names", () => {
    assert.deepEqual(
      targets.map((t) => t.name),
      ['cpu', 'cuda'],
    );
    assert.equal(stages[stages.length - 1].name, 'cuda', 'the default target has the CUDA runtime');
    const server = (JSON.parse(JSON.stringify(loadAllYaml(read('deploy/base/server.yaml')))) as any[]).find((o) => o?.kind === 'Deployment');
    const pod = server.spec.template.spec.securityContext;
    for (const t of targets) {
      const users = t.body.filter((i) => i.op === 'USER');
      assert.equal(users.length, 1, `${t.name}: one USER`);
      const m = /^(\d+):(\d+)$/.exec(users[0].args);
      assert.ok(m, `${t.name}: USER ${users[0].args} is numeric uid:gid`);
      assert.notEqual(Number(m[1]), 0);
      assert.deepEqual([Number(m[1]), Number(m[2])], [pod.runAsUser, pod.runAsGroup], `${t.name}: the server pod runs as the image's user`);
      const last = t.body.map((i) => i.op).lastIndexOf('USER');
      assert.ok(!t.body.slice(last).some((i) => i.op === 'RUN'), `${t.name}: nothing runs as root after USER`);
    }
  });

  it('each target carries the OCI labels', () => {
    const pkg = JSON.parse(read('package.json'));
    for (const t of targets) {
      const labels = Object.fromEntries(
        t.body.filter((i) => i.op === 'LABEL').flatMap((i) => [...i.args.matchAll(/(\S+)="([^"]*)"/g)].map((m) => [m[1], m[2]])),
      );
      for (const k of ['title', 'description', 'source', 'licenses', 'version', 'revision', 'created', 'base.name'])
        assert.ok(labels[`org.opencontainers.image.${k}`], `${t.name}: org.opencontainers.image.${k}`);
      assert.equal(labels['org.opencontainers.image.licenses'], pkg.license);
      assert.equal(labels['org.opencontainers.image.version'], '${VERSION}');
      assert.ok(
        t.body.some((i) => i.op === 'ARG' && i.args === `VERSION=${pkg.version}`),
        `${t.name}: VERSION defaults to package.json's ${pkg.version}`,
      );
    }
  });
});
