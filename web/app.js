// The dashboard shell: hash routes, the login form, the top bar. Pages mount into #view and return an
// unmount function that stops their polling.
import { h, setChildren } from './lib/dom.js';
import { api, auth } from './lib/api.js';
import { deploymentsPage } from './pages/deployments.js';
import { deploymentPage } from './pages/deployment.js';
import { gpusPage } from './pages/gpus.js';
import { costPage } from './pages/cost.js';

const view = document.getElementById('view');
const topbar = document.getElementById('topbar');
let unmount = () => {};

function loginPage(root) {
  const input = h('input', { id: 'login-token', type: 'password', autocomplete: 'current-password', required: true, placeholder: 'isk-admin-…', spellcheck: 'false' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { id: 'login-submit', class: 'btn btn-primary btn-block', type: 'submit' }, 'Sign in');
  // no name attribute and form-action 'none': the token can never be sent as a form field or land in a URL
  const form = h('form', { class: 'login-card', method: 'post', novalidate: true },
    h('div', { class: 'login-brand' }, h('img', { src: '/ui/favicon.svg', alt: '', width: 40, height: 40 }), h('div', {}, h('h1', {}, 'inferscale'), h('p', {}, 'GPU inference deployments'))),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Admin token'), input,
      h('span', { class: 'field-hint' }, 'In the server data dir: ', h('code', {}, '~/.inferscale/admin-token'), '. Kept for this tab only.')),
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) return void (error.textContent = 'Enter the admin token.');
    submit.disabled = true;
    error.textContent = '';
    try {
      await api('GET', '/deployments', undefined, token);
      auth.set(token);
      input.value = '';
      location.hash = '#/';
    } catch (err) {
      error.textContent = err.status === 401 ? 'That token is not valid for this server.' : err.message;
    } finally {
      submit.disabled = false;
    }
  });
  setChildren(root, h('div', { class: 'login-wrap' }, form));
  input.focus();
  return () => {};
}

/** On servers in HA mode: which replica this page talks to, its role, and the leader (GET /cluster). */
let clusterShown = false;
async function showCluster() {
  if (clusterShown) return;
  clusterShown = true;
  const badge = document.getElementById('cluster-badge');
  try {
    const c = await api('GET', '/cluster');
    if (c.role === 'single') return;
    badge.textContent = `${c.identity} · ${c.role}`;
    badge.title = c.leader ? `leader: ${c.leader}` : 'no leader right now';
    badge.dataset.role = c.role;
    badge.hidden = false;
  } catch {
    clusterShown = false;
  }
}

function route() {
  unmount();
  const hash = location.hash || '#/';
  if (!auth.token && hash !== '#/login') {
    location.hash = '#/login';
    return;
  }
  topbar.hidden = hash === '#/login';
  let m;
  let page = 'deployments';
  if (hash === '#/login') {
    page = 'login';
    unmount = loginPage(view);
  } else if ((m = /^#\/d\/([a-z0-9-]+)$/.exec(hash))) {
    unmount = deploymentPage(view, m[1]);
  } else if (hash === '#/gpus') {
    page = 'gpus';
    unmount = gpusPage(view);
  } else if (hash === '#/cost') {
    page = 'cost';
    unmount = costPage(view);
  } else {
    unmount = deploymentsPage(view);
  }
  document.body.dataset.page = page;
  if (page !== 'login') void showCluster();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === page);
  window.scrollTo(0, 0);
}

document.getElementById('logout').addEventListener('click', () => {
  auth.clear();
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
// uPlot is a deferred classic script; module scripts run after it, but wait for it to be sure
if (window.uPlot) route();
else window.addEventListener('DOMContentLoaded', route);
