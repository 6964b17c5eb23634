import { botConfig, Scenario } from '../../e2e/harness/scenario';

/** The Canary every scenario releases, and the images it moves through. */
export const NS = 'production';
export const NAME = 'product-service';
export const SERVICE = `${NS}/${NAME}`;
export const IMAGE_V1 = 'registry.example.com/acme/product-service:1.0.0';
export const IMAGE_V2 = 'registry.example.com/acme/product-service:1.1.0';
export const IMAGE_V3 = 'registry.example.com/acme/product-service:1.2.0';

/**
 * Starts one cluster, Flagger and bot for the tests of a describe block (running v1, Initialized) and stops them
 * after; the returned function gives the running scenario.
 */
export function useScenario(gates: Parameters<typeof botConfig>[0] = {}): () => Scenario {
  let s: Scenario | undefined;
  beforeAll(async () => {
    s = await Scenario.start({ config: botConfig(gates), namespace: NS, name: NAME, image: IMAGE_V1 });
  }, 300_000);
  afterAll(async () => {
    await s?.stop();
  });
  return () => {
    if (!s) throw new Error('scenario not started');
    return s;
  };
}
