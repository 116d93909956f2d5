// The simulator passes the gateway conformance suite (the PowerShell gateway runs the same one).
import { simulateOrganization } from '../adapters/simulator/index.js';
import { gatewayConformance } from './gateway-conformance.js';

gatewayConformance('simulator gateway', async () => {
  const sim = simulateOrganization({ devices: 24, seed: 7 });
  return { gateway: sim.exchange, close: () => sim.exchange.close() };
});
