// Deployment actions: scale, autoscale settings, rotate key, delete (with confirmation).
import { h, modal, field, toast, setChildren } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { showKey } from './create.js';

const noRoute = (e) => e.status === 404 && /no API route/.test(e.message);

/** The "Scale" and "Autoscaling" card. Returns {el, update(view)}. */
export function actionsCard(name) {
  const replicas = h('input', { type: 'number', min: 0, name: 'replicas', class: 'input-sm', dataset: { testid: 'scale-input' } });
  const scaleBtn = h('button', { class: 'btn btn-primary', type: 'submit', dataset: { testid: 'scale-submit' } }, 'Scale');
  const scaleNote = h('p', { class: 'muted small' });
  const scaleForm = h('form', { class: 'inline-form', novalidate: true }, h('label', { class: 'inline-label' }, 'Replicas'), replicas, scaleBtn);
  scaleForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    scaleBtn.disabled = true;
    try {
      const v = await api('POST', `/deployments/${name}/scale`, { replicas: Number(replicas.value) });
      toast(`Scaling ${name} to ${v.replicas}`);
      replicas.blur();
    } catch (err) {
      toast(err.message, 'bad');
    } finally {
      scaleBtn.disabled = false;
    }
  });

  const min = h('input', { type: 'number', min: 0, name: 'minReplicas', class: 'input-sm' });
  const max = h('input', { type: 'number', min: 1, name: 'maxReplicas', class: 'input-sm' });
  const target = h('input', { type: 'number', min: 1, step: 'any', name: 'targetOngoingRequests', class: 'input-sm' });
  const autoState = h('p', { class: 'muted small' });
  const saveAuto = h('button', { class: 'btn btn-ghost', type: 'submit' }, 'Save');
  const offAuto = h('button', { class: 'btn btn-ghost', type: 'button' }, 'Turn off');
  const autoForm = h('form', { class: 'auto-form', novalidate: true },
    field('Min', min), field('Max', max), field('Target ongoing / replica', target), h('div', { class: 'auto-buttons' }, saveAuto, offAuto));
  autoForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PUT', `/deployments/${name}/autoscale`, { minReplicas: Number(min.value), maxReplicas: Number(max.value), targetOngoingRequests: Number(target.value) });
      toast(`Autoscaling ${name}: ${min.value}–${max.value} replicas`);
    } catch (err) {
      toast(noRoute(err) ? 'This server has no autoscaling API yet.' : err.message, 'bad');
    }
  });
  offAuto.addEventListener('click', async () => {
    try {
      await api('DELETE', `/deployments/${name}/autoscale`);
      toast(`Autoscaling off for ${name}`);
    } catch (err) {
      toast(noRoute(err) ? 'This server has no autoscaling API yet.' : err.message, 'bad');
    }
  });

  const el = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, 'Scale'),
    scaleForm,
    scaleNote,
    h('h3', { class: 'card-title spaced' }, 'Autoscaling'),
    autoState,
    autoForm,
  );
  return {
    el,
    update(d) {
      const a = d.autoscale;
      if (document.activeElement !== replicas) replicas.value = String(d.replicas);
      replicas.disabled = scaleBtn.disabled = !!a;
      scaleNote.textContent = a ? 'Autoscaling is on: the autoscaler sets the replica count. Turn it off to scale by hand.' : `${d.gpuCount} ${d.gpuType} GPU${d.gpuCount > 1 ? 's' : ''} per replica; 0 stops every replica and keeps the URL and key.`;
      const last = d.autoscaler?.lastDecision;
      const model = d.autoscaler?.model;
      setChildren(autoState,
        a ? `On: ${a.minReplicas}–${a.maxReplicas} replicas, target ${a.targetOngoingRequests} ongoing requests per replica.` : 'Off: the replica count is set by hand.',
        a && last ? h('span', { class: 'decision' }, `Last decision: ${last.desired} replica${last.desired === 1 ? '' : 's'} (${last.reason})`) : null,
        a && model ? h('span', { class: 'decision', dataset: { testid: 'autoscaler-model' } }, `Capacity model: ${modelLine(model)}`) : null);
      if (!autoForm.contains(document.activeElement)) {
        min.value = String(a?.minReplicas ?? 0);
        max.value = String(a?.maxReplicas ?? Math.max(2, d.replicas));
        target.value = String(a?.targetOngoingRequests ?? 4);
      }
      offAuto.hidden = !a;
    },
  };
}

/** The policy's model summary (AutoscalerStatus.model) on one line, as `deployment show` prints it. */
function modelLine(m) {
  const show = (v) => (typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(3))) : typeof v === 'string' ? v : JSON.stringify(v));
  return Object.entries(m).map(([k, v]) => `${k} ${show(v)}`).join(', ');
}

export async function rotateKey(name) {
  const ok = await modal({
    title: `Rotate the API key of ${name}?`,
    body: h('p', {}, 'A new key is issued; the old one keeps working for 5 minutes, then stops. Clients must switch to the new key.'),
    actions: [{ label: 'Cancel' }, { label: 'Rotate key', tone: 'danger', id: 'rotate', onClick: () => api('POST', `/deployments/${name}/rotate-api-key`) }],
  });
  if (ok && ok.apiKey) await showKey(name, ok.apiKey, `${name}: new API key`);
}

export async function deleteDeployment(name) {
  const confirm = h('input', { autocomplete: 'off', spellcheck: 'false', placeholder: name, dataset: { testid: 'delete-confirm' } });
  const done = await modal({
    title: `Delete ${name}?`,
    body: h('div', { class: 'stack' },
      h('p', {}, 'Every replica is drained and stopped, and the URL and API key stop working. This cannot be undone.'),
      field(`Type ${name} to confirm`, confirm),
    ),
    actions: [
      { label: 'Cancel' },
      {
        label: 'Delete deployment',
        tone: 'danger',
        id: 'delete',
        onClick: async () => {
          if (confirm.value.trim() !== name) throw new Error(`Type "${name}" to confirm.`);
          await api('DELETE', `/deployments/${name}`);
          return 'deleted';
        },
      },
    ],
  });
  if (done === 'deleted') {
    toast(`Deleting ${name}`);
    location.hash = '#/';
  }
}
