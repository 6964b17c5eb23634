import * as z from 'zod';
import { parseMeshDuration } from '../domain/duration';

/** An Istio duration as the mesh objects write it (5s, 1.5s, 500ms): kept as written, checked to parse. */
const meshDuration = z
  .string()
  .refine((text) => (parseMeshDuration(text) ?? 0) > 0, 'a duration such as 5s, 1.5s or 500ms');

/**
 * What the mesh should say about a service (the design document's SLA matrix, circuit breaking and mTLS), so
 * `/canary doctor` can show the live VirtualService, DestinationRules and PeerAuthentication next to it. Flagger
 * writes them from the Canary (`spec.service.timeout`, `.retries`, `.trafficPolicy`): that is where drift is fixed.
 * Timeout and retries are per service (no default); circuit breaking and mTLS default to the document's values.
 */
export const trafficSchema = z
  .strictObject({
    timeout: meshDuration.optional(),
    retries: z
      .strictObject({
        attempts: z.number().int().min(0).max(10),
        perTryTimeout: meshDuration.optional(),
      })
      .optional(),
    outlierDetection: z
      .strictObject({
        consecutive5xxErrors: z.number().int().min(1).default(5),
        interval: meshDuration.default('30s'),
        baseEjectionTime: meshDuration.default('30s'),
        maxEjectionPercent: z.number().int().min(0).max(100).default(50),
      })
      .prefault({}),
    mtls: z.enum(['STRICT', 'PERMISSIVE', 'DISABLE']).default('STRICT'),
  })
  .prefault({});

export type TrafficPolicy = z.output<typeof trafficSchema>;
