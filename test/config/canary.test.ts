/** The config of a route's canary: what loads, and what is refused at its line. */
import { describe, expect, it } from 'vitest';
import { baseConfig, errorsOf } from '../support/config-text.js';

const withDeployments = baseConfig.replace(
  '  llama@local: { provider: local, model: llama }',
  '  llama@local: { provider: local, model: llama }\n  llama-next@local: { provider: local, model: llama-next }',
);

describe('canary config', () => {
  it('loads a canary with targets, percent and a sticky subject', () => {
    expect(errorsOf(`${withDeployments}    canary: { targets: [llama-next@local], percent: 5, sticky: "header:x-session-id" }\n`)).toEqual(
      [],
    );
  });

  it('refuses an unknown canary target, a stable target as canary, a bad sticky and a percent over 100, at their lines', () => {
    const errors = errorsOf(`${withDeployments}    canary: { targets: [llama-nxt@local, llama@local], percent: 120, sticky: cookie }\n`);
    expect(errors).toContainEqual(
      expect.stringMatching(
        /routes\.chat\.canary\.targets\[0\]: no deployment named 'llama-nxt@local' \(did you mean 'llama-next@local'\?\)/,
      ),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(/routes\.chat\.canary\.targets\[1\]: deployment 'llama@local' is already a stable target/),
    );
    expect(errors).toContainEqual(expect.stringMatching(/^sw\.yaml:\d+:\d+: routes\.chat\.canary\.percent: /));
    expect(errors).toContainEqual(expect.stringMatching(/^sw\.yaml:\d+:\d+: routes\.chat\.canary\.sticky: /));
  });
});
