/**
 * OpenTelemetry traces of gateway requests, with the GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): one CLIENT span per request named
 * "{operation} {model}" (e.g. "chat llama-8b"), exported as OTLP/HTTP JSON when an endpoint is configured
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces). Without one, no tracer
 * exists and the request path does nothing.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { BUILD_VERSION } from './build-info.js';

/** The GenAI operation name of each OpenAI-compatible endpoint the gateway passes through. */
const OPERATION: Record<string, string> = { 'chat/completions': 'chat', completions: 'text_completion', embeddings: 'embeddings' };

export interface SpanOutcome {
  /** the HTTP status the client got (499: it left) */
  status: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** One gateway request's span: the replica it went to (once granted), then its end, exactly once. */
export interface GatewaySpan {
  /** the W3C traceparent naming this span, sent to the replica (an engine that traces continues the trace) */
  readonly traceparent: string;
  replica(url: string): void;
  end(o: SpanOutcome, endMs: number): void;
}

export interface GatewayTracer {
  /** `traceparent`: the client's W3C trace context header; a valid one makes the span its child */
  start(op: string, model: string, requestId: string, startMs: number, traceparent?: string): GatewaySpan;
  /** exports what is left */
  shutdown(): Promise<void>;
}

/** The OTLP traces URL from the standard environment variables; undefined: tracing is off. */
export function otlpTracesUrl(env: Record<string, string | undefined>): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** A tracer exporting to `url` (or to `exporter`, for tests); `serviceName` defaults to OTEL_SERVICE_NAME or "inferscale". */
export function createGatewayTracer(o: { url?: string; exporter?: SpanExporter; serviceName?: string; scheduledDelayMs?: number }): GatewayTracer {
  const exporter = o.exporter ?? new OTLPTraceExporter({ url: o.url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.serviceName ?? 'inferscale', [ATTR_SERVICE_VERSION]: BUILD_VERSION }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: o.scheduledDelayMs ?? 2000 })],
  });
  const tracer = provider.getTracer('inferscale-gateway', BUILD_VERSION);
  return {
    start: (op, model, requestId, startMs, traceparent) => startSpan(tracer, op, model, requestId, startMs, traceparent),
    shutdown: () => provider.shutdown(),
  };
}

/** The tracer the environment asks for (see otlpTracesUrl), or undefined. */
export function gatewayTracerFromEnv(env: Record<string, string | undefined>): GatewayTracer | undefined {
  const url = otlpTracesUrl(env);
  return url ? createGatewayTracer({ url, serviceName: env.OTEL_SERVICE_NAME?.trim() || undefined }) : undefined;
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

/** The parent span context of a W3C `traceparent` header (version 00), or undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const m = header === undefined ? null : TRACEPARENT_RE.exec(header.trim());
  if (!m || m[1] === INVALID_TRACE || m[2] === INVALID_SPAN) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: Number.parseInt(m[3], 16) & TraceFlags.SAMPLED };
}

function startSpan(tracer: Tracer, op: string, model: string, requestId: string, startMs: number, traceparent?: string): GatewaySpan {
  const operation = OPERATION[op] ?? op;
  const parent = parseTraceparent(traceparent);
  const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }) : ROOT_CONTEXT;
  const span: Span = tracer.startSpan(
    `${operation} ${model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: startMs,
      attributes: {
        'gen_ai.operation.name': operation,
        'gen_ai.request.model': model,
        'gen_ai.provider.name': 'inferscale',
        'inferscale.request.id': requestId,
      },
    },
    ctx,
  );
  const sc = span.spanContext();
  let ended = false;
  return {
    traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`,
    replica(url) {
      try {
        const u = new URL(url);
        span.setAttribute('server.address', u.hostname);
        span.setAttribute('server.port', Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
      } catch {
        // a replica URL that does not parse leaves the span without its address
      }
    },
    end(o, endMs) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', o.status);
      if (o.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', o.inputTokens);
      if (o.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', o.outputTokens);
      if (o.status >= 400) {
        span.setAttribute('error.type', String(o.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end(endMs);
    },
  };
}
