// The admin token lives in sessionStorage only (gone when the tab closes); it is sent in the
// Authorization header, never in a URL, and never logged.
const KEY = 'inferscale.adminToken';

export const auth = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls /api/v1 with the stored token. A 401 forgets the token and goes back to the login form. */
export async function api(method, path, body, token = auth.token) {
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      cache: 'no-store',
      headers: { authorization: `Bearer ${token ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'cannot reach the inferscale server');
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = {};
  }
  if (res.status === 401 && token === auth.token) {
    auth.clear();
    if (location.hash !== '#/login') location.hash = '#/login';
  }
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/**
 * Runs `fn` now and then every `ms` after each run finishes (no overlap), skipping runs while the tab
 * is hidden. Returns a stop function.
 */
export function poll(fn, ms = 2000) {
  let timer;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch (e) {
        if (e?.status !== 401) console.warn('poll:', e?.message ?? e);
      }
    }
    if (!stopped) timer = setTimeout(run, ms);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
