/** The body of `POST /api/v1/server/shutdown` (shutdown-route.ts), apart so the OpenAPI description reads it without the route. */
import { z } from 'zod';

export type OnExit = 'keep' | 'stop';

export const bodySchema = z.strictObject({ replicas: z.enum(['keep', 'stop']).default('stop') });
