// "New deployment" dialog, and the one-time display of a new API key.
import { h, modal, field, copyButton, toast } from '../lib/dom.js';
import { api } from '../lib/api.js';

const ENGINES = ['sim', 'llamacpp', 'vllm', 'sglang', 'command'];

/** Shows a freshly issued key once, with a copy button. */
export function showKey(name, apiKey, title = 'API key') {
  const body = h('div', { class: 'stack' },
    h('p', {}, 'Copy this key now: it is not shown again. Clients send it as ', h('code', {}, 'Authorization: Bearer …'), ` to the ${name} endpoint.`),
    h('div', { class: 'key-box' }, h('code', { class: 'mono', dataset: { testid: 'api-key' } }, apiKey), copyButton(apiKey)),
  );
  return modal({ title, body, actions: [{ label: 'Done', tone: 'primary', id: 'done' }] });
}

export async function openCreateDialog() {
  let types = [];
  try {
    types = (await api('GET', '/limits/gpu')).limits;
  } catch {
    /* the form still works without the list */
  }
  const inp = (name, attrs = {}) => h('input', { name, autocomplete: 'off', spellcheck: 'false', ...attrs });
  const f = {
    name: inp('name', { placeholder: 'chat', pattern: '[a-z0-9]([a-z0-9-]*[a-z0-9])?', required: true }),
    modelName: inp('modelName', { placeholder: 'llama-3.1-8b-instruct', required: true }),
    engine: h('select', { name: 'engine' }, ENGINES.map((e) => h('option', { value: e }, e))),
    engineParams: inp('engineParams', { placeholder: '--ttft-ms 50 --itl-ms 10' }),
    gpuType: h('select', { name: 'gpuType' }, types.map((t) => h('option', { value: t.gpuType }, `${t.gpuType} (${t.max - t.used} free)`))),
    gpuCount: inp('gpuCount', { type: 'number', min: 1, max: 8, value: '1' }),
    replicas: inp('replicas', { type: 'number', min: 0, value: '1' }),
    team: inp('team', { placeholder: 'search' }),
    project: inp('project', { placeholder: 'assistant' }),
  };
  const body = h('div', { class: 'form-grid' },
    field('Name', f.name, 'Lowercase letters, digits and dashes; part of the URL'),
    field('Model', f.modelName),
    field('Engine', f.engine),
    field('Engine params', f.engineParams, 'Flags passed to the engine'),
    types.length ? field('GPU type', f.gpuType) : null,
    field('GPUs per replica', f.gpuCount, 'Fixed after creation'),
    field('Replicas', f.replicas, '0 creates it stopped'),
    h('div', {}),
    field('Label: team', f.team, 'For cost chargeback'),
    field('Label: project', f.project),
  );
  let created;
  await modal({
    title: 'New deployment',
    wide: true,
    body,
    actions: [
      { label: 'Cancel' },
      {
        label: 'Create deployment',
        tone: 'primary',
        submit: true,
        id: 'create',
        onClick: async () => {
          const labels = {};
          if (f.team.value.trim()) labels.team = f.team.value.trim();
          if (f.project.value.trim()) labels.project = f.project.value.trim();
          created = await api('POST', '/deployments', {
            name: f.name.value.trim(),
            modelName: f.modelName.value.trim(),
            engine: f.engine.value,
            engineParams: f.engineParams.value.trim() || undefined,
            gpuType: types.length ? f.gpuType.value : undefined,
            gpuCount: Number(f.gpuCount.value),
            replicas: Number(f.replicas.value),
            labels,
          });
        },
      },
    ],
  });
  if (!created) return;
  toast(`Created ${created.name}`);
  await showKey(created.name, created.apiKey, `${created.name}: API key`);
  location.hash = `#/d/${created.name}`;
}
