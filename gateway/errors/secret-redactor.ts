/**
 * Defence in depth for secrets: every configured credential is registered here, and any text that came
 * from outside (an upstream's error message) passes through `redact` before it reaches a client, a log
 * line or a span.
 */
export class SecretRedactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string | undefined>) {
    // Longest first, so a secret that contains another is replaced whole. Very short values are not
    // treated as secrets (they would shred ordinary text); the config requires keys of 8+ characters.
    this.secrets = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** An arrow property, so it can be handed on as a plain function without a per-request closure. */
  readonly redact = (text: string): string => {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    }
    return out;
  };
}
