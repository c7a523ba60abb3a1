/**
 * For tests: the REST API in process (`app.request()`, no HTTP server) over a real DeploymentService on an
 * in-memory store under a fake clock (src/service/testkit.ts), with `gpus` virtual a5000 GPUs.
 */
import type { Hono } from 'hono';
import { createApi, type ApiDeps } from './app.js';
import { inProcessService } from '../service/testkit.js';
import { virtualGpus } from '../placement/inventory.js';

export const ADMIN_TOKEN = 'ist-test';

/** A JSON answer as the tests read it: any shape, each test reads the fields it asserts. */
// biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape
type Json = any;

export interface ApiAnswer<T = Json> {
  status: number;
  body: T;
  headers: Headers;
}

type Service = ReturnType<typeof inProcessService>;

export interface ApiUnderTestOptions extends Partial<Pick<ApiDeps, 'afterWrite' | 'internalToken'>> {
  gpus?: number;
  /** other modules' routes, or a function making them over the service under test (its store, clock) */
  routes?: ApiDeps['routes'] | ((service: Service) => ApiDeps['routes']);
}

export function apiUnderTest(o: ApiUnderTestOptions = {}) {
  const { gpus = 8, routes, ...deps } = o;
  const service = inProcessService(gpus);
  const app: Hono = createApi({
    deployments: service.deployments,
    store: service.store,
    adminToken: ADMIN_TOKEN,
    inventory: virtualGpus(gpus, 'a5000'),
    routes: typeof routes === 'function' ? routes(service) : routes,
    ...deps,
  });
  /** `token`: the bearer token sent (default the admin token; null: no authorization header) */
  async function call<T = Json>(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
  return { ...service, app, call };
}
