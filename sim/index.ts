/**
 * Upstream simulators: real HTTP servers that speak OpenAI's or vLLM's wire format, deterministic
 * and cheap, with injectable faults. `npm start` runs them in-process for the demo; tests, the
 * benchmark and failover drills use them instead of real providers.
 */
export { startSimulator } from './server.js';
export type { RecordedRequest, RunningSimulator, SimKind, SimOperation, SimPrefillStyle, SimStats, SimulatorOptions } from './types.js';
export { simKinds, simPrefillStyles } from './types.js';
export { parseFault, parseFaultList, type Fault, type FaultOperation, type FaultType } from './faults.js';
