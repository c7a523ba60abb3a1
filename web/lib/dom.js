// DOM and formatting helpers. Everything from the server is inserted as text (never as HTML).

/** h('div', {class: 'x', onclick: fn, dataset: {k: 'v'}}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const fmt = {
  /** USD; amounts under $1 get 4 decimals so a young deployment's cost is visible */
  money(x, digits) {
    if (x === null || x === undefined) return '–';
    if (digits === undefined) digits = x !== 0 && Math.abs(x) < 1 ? 4 : 2;
    return `$${x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
  },
  num(x, digits = 1) {
    if (x === null || x === undefined || Number.isNaN(x)) return '–';
    return x.toLocaleString('en-US', { maximumFractionDigits: digits });
  },
  ms(x) {
    if (x === null || x === undefined) return '–';
    return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`;
  },
  time(iso) {
    if (!iso) return '–';
    return new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
  },
  dateTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false })}`;
  },
  ago(iso) {
    if (!iso) return '–';
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return `${Math.floor(s)}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
    return `${Math.floor(s / 86400)}d ago`;
  },
};

const STATUS_TONE = { ready: 'ok', scaling: 'info', creating: 'info', deploying: 'info', updating: 'info', stopped: 'muted', deleting: 'muted', error: 'bad', starting: 'info', pending: 'warn', draining: 'warn', failed: 'bad' };

export function badge(status) {
  return h('span', { class: `badge badge-${STATUS_TONE[status] ?? 'muted'}`, dataset: { status } }, status);
}

/** A stable colour for a name (GPU holders). */
export function colorFor(name) {
  let x = 0;
  for (const ch of name) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${x % 360} 62% 46%)`;
}

export function copyButton(text, label = 'Copy') {
  const b = h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Copy to clipboard' }, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => (b.textContent = label), 1500);
  });
  return b;
}

export function toast(message, tone = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: `toast toast-${tone}`, role: 'status' }, message);
  box.append(t);
  setTimeout(() => t.remove(), tone === 'bad' ? 7000 : 3500);
}

/**
 * A modal dialog. `body` is a node; `actions` are [{label, tone, onClick}] where onClick may return a
 * promise (the dialog stays open and shows the error if it rejects). Resolves when closed.
 */
export function modal({ title, body, actions = [], wide = false }) {
  return new Promise((resolve) => {
    const error = h('div', { class: 'form-error', role: 'alert' });
    const close = (v) => {
      backdrop.remove();
      document.removeEventListener('keydown', onKey);
      resolve(v);
    };
    const onKey = (e) => e.key === 'Escape' && close(undefined);
    const buttons = actions.map((a) =>
      h('button', {
        class: `btn ${a.tone === 'danger' ? 'btn-danger' : a.tone === 'primary' ? 'btn-primary' : 'btn-ghost'}`,
        type: a.submit ? 'submit' : 'button',
        dataset: { action: a.id ?? a.label },
        onclick: async (e) => {
          e.preventDefault();
          if (!a.onClick) return close(a.id ?? a.label);
          error.textContent = '';
          e.target.disabled = true;
          try {
            const v = await a.onClick();
            if (v !== false) close(v ?? a.id ?? a.label);
          } catch (err) {
            error.textContent = err.message;
          } finally {
            e.target.disabled = false;
          }
        },
      }, a.label),
    );
    const dialog = h('form', { class: `modal${wide ? ' modal-wide' : ''}`, role: 'dialog', 'aria-modal': 'true', 'aria-label': title, novalidate: true },
      h('div', { class: 'modal-head' }, h('h2', {}, title), h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', onclick: () => close(undefined) }, '×')),
      h('div', { class: 'modal-body' }, body, error),
      h('div', { class: 'modal-actions' }, buttons),
    );
    dialog.addEventListener('submit', (e) => e.preventDefault());
    const backdrop = h('div', { class: 'backdrop', onmousedown: (e) => e.target === backdrop && close(undefined) }, dialog);
    document.body.append(backdrop);
    document.addEventListener('keydown', onKey);
    dialog.querySelector('input, select, button.btn-primary')?.focus();
  });
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'field-hint' }, hint) : null);
}

export function tile(label, value, sub, testid) {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', dataset: testid ? { testid } : undefined }, value), sub ? h('div', { class: 'tile-sub' }, sub) : null);
}
