/**
 * The config's `simulators.<name>.kind` lists the kinds the simulators speak. config/ may not import
 * sim/ (the layers), so the two lists are written twice; this keeps them the same.
 */
import { describe, expect, it } from 'vitest';
import { simulatorEngineProfiles, simulatorSchema } from '../../config/schema.js';
import { engineProfileNames } from '../../sim/engine/profiles.js';
import { simKinds } from '../../sim/index.js';

describe('simulator kinds', () => {
  it('the config accepts exactly the kinds the simulators speak', () => {
    expect([...simulatorSchema.shape.kind.options].sort()).toEqual([...simKinds].sort());
  });

  it('the config accepts exactly the engine profiles the simulator has', () => {
    expect([...simulatorEngineProfiles].sort()).toEqual([...engineProfileNames].sort());
  });
});
