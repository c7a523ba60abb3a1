/**
 * Command templates: `vllm serve {model} --host {host} --port {port} --tensor-parallel-size {gpuCount} {params}`.
 * The template is split into words first (quotes honoured), then each placeholder is filled in its
 * word, so a path with spaces stays one argument; `{params}` alone in a word expands to the engine
 * params' words.
 */
import { invalid } from '../../core/errors.js';
import { splitArgs } from '../../core/argv.js';

export const PLACEHOLDERS = ['model', 'name', 'port', 'host', 'gpuCount', 'gpus', 'params'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateVars = Record<Placeholder, string>;

const RE = /\{([A-Za-z]+)\}/g;

function words(text: string, field: string): string[] {
  try {
    return splitArgs(text);
  } catch (e) {
    throw invalid(field, (e as Error).message);
  }
}

/** Throws invalid_argument when the template is empty, names an unknown placeholder or lacks {port}. */
export function checkTemplate(template: string, field = 'engineParams'): string[] {
  const argv = words(template, field);
  if (argv.length === 0) throw invalid(field, 'the command template is empty');
  for (const w of argv) {
    for (const m of w.matchAll(RE)) {
      if (!PLACEHOLDERS.includes(m[1] as Placeholder))
        throw invalid(field, `unknown placeholder {${m[1]}} in the command template (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
    }
  }
  if (!argv.some((w) => w.includes('{port}')))
    throw invalid(field, 'the command template must pass {port}: inferscale picks the port and checks /health on it');
  return argv;
}

/** Renders a checked template into argv; `bin` (when set) replaces the first word, the executable. */
export function renderTemplate(template: string, vars: TemplateVars, bin?: string): string[] {
  const argv = checkTemplate(template);
  const out: string[] = [];
  for (const w of argv) {
    if (w === '{params}') out.push(...words(vars.params, 'engineParams'));
    else out.push(w.replace(RE, (_, k: Placeholder) => vars[k]));
  }
  if (bin) out[0] = bin;
  return out;
}

/** vLLM's sleep mode: the flag that enables it and the variable that opens its /sleep and /wake_up endpoints. */
export const VLLM_SLEEP_FLAG = '--enable-sleep-mode';
export const VLLM_SLEEP_ENV = { VLLM_SERVER_DEV_MODE: '1' } as const;

/**
 * A vLLM command with sleep mode on (for deployments whose idle replicas sleep): the flag once, the dev-mode
 * variable set. Other engines' commands are returned as they are (sim and llamacpp always serve sleep).
 */
export function withSleepMode<C extends { args: string[]; env: Record<string, string> }>(engine: string, cmd: C): C {
  if (engine !== 'vllm') return cmd;
  const args = cmd.args.includes(VLLM_SLEEP_FLAG) ? cmd.args : [...cmd.args, VLLM_SLEEP_FLAG];
  return { ...cmd, args, env: { ...cmd.env, ...VLLM_SLEEP_ENV } };
}
