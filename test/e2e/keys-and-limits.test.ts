/**
 * Keys, limits and budgets on one gateway (limits counted in memory; the Redis-shared version across
 * processes is test/e2e/limits-across-replicas.test.ts), driven by the official openai SDK: its
 * RateLimitError, the headers it reads, and every way a client can present a key.
 */
import { createHash } from 'node:crypto';
import { AuthenticationError, NotFoundError, RateLimitError } from 'openai';
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../support/gateway.js';
import { pollUntil } from '../support/poll.js';

const env = {
  TEAM_KEY: 'sk-team-0123456789',
  LIMITED_KEY: 'sk-limited-0123456789',
  TOKENS_KEY: 'sk-tokens-0123456789',
  ONE_AT_A_TIME_KEY: 'sk-one-at-a-time-0123',
  BUDGET_KEY: 'sk-budget-0123456789',
};
const hashedKey = 'sk-hashed-only-0123456789';
const sha256 = createHash('sha256').update(hashedKey).digest('hex');

const adminKey = 'adm-keys-0123456789';
const config = `
version: 1
server: { admin_key: ${adminKey} }
simulators:
  fast: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  slow: { kind: openai, model: m, ttft_ms: 300, tpot_ms: 0, output_tokens: 4 }
  quota-a: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
  quota-b: { kind: openai, model: m, ttft_ms: 1, tpot_ms: 0, output_tokens: 4 }
providers:
  fast: { type: openai, base_url: sim://fast }
  slow: { type: openai, base_url: sim://slow }
  quota-a: { type: openai, base_url: sim://quota-a }
  quota-b: { type: openai, base_url: sim://quota-b }
deployments:
  fast: { provider: fast, model: m, price: { input_per_mtok: 1000000, output_per_mtok: 1000000 }, allow_floating: true }
  slow: { provider: slow, model: m, allow_floating: true }
  quota-a: { provider: quota-a, model: m, limits: { rpm: 1 }, allow_floating: true }
  quota-b: { provider: quota-b, model: m, limits: { rpm: 1 }, allow_floating: true }
routes:
  chat: { targets: [fast] }
  slow: { targets: [slow] }
  other: { targets: [fast] }
  quota: { targets: [quota-a], fallbacks: [quota-b] }
  route-limited: { targets: [fast], limits: { rpm: 2 } }
keys:
  - { name: team, key: "\${TEAM_KEY}", routes: [chat, slow, quota, route-limited] }
  - { name: hashed, key_sha256: ${sha256}, routes: [chat] }
  - { name: limited, key: "\${LIMITED_KEY}", limits: { rpm: 3 } }
  - { name: tokens, key: "\${TOKENS_KEY}", limits: { tpm: 1000 } }
  - { name: one-at-a-time, key: "\${ONE_AT_A_TIME_KEY}", limits: { max_concurrency: 1 } }
  - { name: budget, key: "\${BUDGET_KEY}", budget: { usd_per_day: 0.5 } }
`;

const gw = useTestGateway(config, env);
const messages = [{ role: 'user' as const, content: 'hi' }];
const clientWith = (apiKey: string) => gw.client({ apiKey });
const ask = (apiKey: string, model = 'chat', extra: Record<string, unknown> = {}) =>
  clientWith(apiKey)
    .chat.completions.create({ model, messages, ...extra })
    .withResponse();

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (err: unknown) => err,
  );
}

describe('keys', () => {
  it('accepts a key from the environment, and one configured only by its SHA-256 digest', async () => {
    expect((await ask(env.TEAM_KEY)).data.choices[0]!.message.content).toBeTruthy();
    expect((await ask(hashedKey)).data.choices[0]!.message.content).toBeTruthy();
  });

  it('reads the key from Authorization: Bearer, api-key (Azure clients) and x-api-key (Anthropic clients)', async () => {
    const body = JSON.stringify({ model: 'chat', messages });
    const ways: Record<string, string>[] = [
      { authorization: `Bearer ${env.TEAM_KEY}` },
      { 'api-key': env.TEAM_KEY },
      { 'x-api-key': env.TEAM_KEY },
    ];
    for (const header of ways) {
      const res = await fetch(`${gw.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...header },
        body,
      });
      expect(res.status, JSON.stringify(header)).toBe(200);
    }
  });

  it('answers 401 for a missing or wrong key and 404 model_not_found for a route the key may not use', async () => {
    // The SDK refuses to send without a key, so a bare request stands for a client that sends none.
    const missing = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages }),
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'missing_api_key',
      message: expect.stringContaining("'Authorization: Bearer <key>'") as unknown,
    });
    const wrong = await rejection(clientWith('sk-wrong-0123456789').chat.completions.create({ model: 'chat', messages }));
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect((wrong as AuthenticationError).message).not.toContain('sk-wrong');
    const forbidden = await rejection(clientWith(hashedKey).chat.completions.create({ model: 'other', messages }));
    expect(forbidden).toBeInstanceOf(NotFoundError);
    expect((forbidden as NotFoundError).code).toBe('model_not_found');
  });

  it('/health/ready says how clients authenticate and where limits count', async () => {
    expect(await (await fetch(`${gw.url}/health/ready`)).json()).toMatchObject({ status: 'ready', auth: 'keys', limits: 'memory' });
  });
});

describe('key limits', () => {
  it("admits a key's rpm, then answers 429 with Retry-After and OpenAI's x-ratelimit headers", async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { response } = await ask(env.LIMITED_KEY);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(response.headers.get('x-ratelimit-remaining-requests')!);
      expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$|^\d+m[\d.]+s$/);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await rejection(ask(env.LIMITED_KEY));
    expect(refused).toBeInstanceOf(RateLimitError);
    const err = refused as RateLimitError;
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toContain("key 'limited': 3 requests per minute");
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(err.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // The refused request never reached an upstream.
    expect(gw.sim('fast').stats().byOperation.chat).toBe(3);
  });

  it('sends the x-ratelimit headers with a stream too', async () => {
    const { response, data } = await clientWith(env.LIMITED_KEY)
      .chat.completions.create({ model: 'chat', messages, stream: true })
      .withResponse();
    for await (const chunk of data) void chunk;
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });

  it('reserves max_tokens against tpm while a request runs, and gives back what the answer did not use', async () => {
    const hold = (n: number) => ask(env.TOKENS_KEY, 'slow', { max_tokens: 400, messages: [{ role: 'user', content: `hold ${n}` }] });
    const [a, b] = [hold(1), hold(2)];
    // 800 of 1000 tokens are reserved while the two run: a third reservation of 400 does not fit.
    const third = await rejection(ask(env.TOKENS_KEY, 'chat', { max_tokens: 400 }));
    expect(third).toBeInstanceOf(RateLimitError);
    expect((third as RateLimitError).message).toContain('1000 tokens per minute');
    const first = await a;
    await b;
    expect(first.response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    // The answers used a few tokens each: the rest of the reservations came back.
    await pollUntil(
      async () =>
        ask(env.TOKENS_KEY, 'chat', { max_tokens: 400 })
          .then(() => true)
          .catch(() => false),
      'tokens given back',
    );
  });

  it('refuses a request that could never fit its tpm, saying what to change', async () => {
    const refused = await rejection(ask(env.TOKENS_KEY, 'chat', { max_tokens: 5000 }));
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).message).toContain('Request too large');
    expect((refused as RateLimitError).message).toContain('Lower max_tokens');
  });

  it('holds max_concurrency with a lease released when the answer ends', async () => {
    const running = ask(env.ONE_AT_A_TIME_KEY, 'slow');
    await pollUntil(() => gw.sim('slow').stats().inFlight === 1, 'the first request upstream');
    const refused = await rejection(ask(env.ONE_AT_A_TIME_KEY, 'slow'));
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).message).toContain('1 requests at once');
    await running;
    await pollUntil(
      async () =>
        ask(env.ONE_AT_A_TIME_KEY, 'chat')
          .then(() => true)
          .catch(() => false),
      'the lease released',
    );
  });

  it('stops a key whose daily budget is spent with 429 insufficient_quota until the day ends', async () => {
    // The `fast` deployment is priced at $1 a token: the first answer spends the whole $0.50.
    await ask(env.BUDGET_KEY);
    let refused: RateLimitError | undefined;
    await pollUntil(
      async () => {
        const r = await ask(env.BUDGET_KEY).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (r instanceof RateLimitError) refused = r;
        return refused !== undefined;
      },
      'the budget spent',
      { everyMs: 20 },
    );
    if (refused === undefined) throw new Error('unreachable');
    expect(refused.code).toBe('insufficient_quota');
    expect(refused.message).toContain("key 'budget' has spent a budget of $0.5 per day (UTC)");
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('route and deployment limits', () => {
  it('limits a route for every key together', async () => {
    await ask(env.TEAM_KEY, 'route-limited');
    await ask(env.TEAM_KEY, 'route-limited');
    const refused = await rejection(ask(env.TEAM_KEY, 'route-limited'));
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).message).toContain("route 'route-limited': 2 requests per minute");
  });

  it('takes a deployment at its quota out of the plan, and answers 429 with the soonest reset only when all are', async () => {
    const first = await ask(env.TEAM_KEY, 'quota');
    expect(first.response.headers.get('x-switchyard-deployment')).toBe('quota-a');
    const second = await ask(env.TEAM_KEY, 'quota');
    expect(second.response.headers.get('x-switchyard-deployment')).toBe('quota-b');
    const refused = await rejection(ask(env.TEAM_KEY, 'quota'));
    expect(refused).toBeInstanceOf(RateLimitError);
    const err = refused as RateLimitError;
    expect(err.message).toContain("Every deployment of route 'quota' is at its provider quota");
    expect(Number(err.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(gw.sim('quota-a').stats().byOperation.chat + gw.sim('quota-b').stats().byOperation.chat).toBe(2);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_rate_limited_total{route="quota",scope="deployment",limit="rpm"} 1');
  });
});

describe('GET /admin/keys', () => {
  const admin = async (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });

  it("shows each key's usage by UTC day and month and its limits' live state", async () => {
    await ask(env.LIMITED_KEY);
    await ask(env.LIMITED_KEY);
    let report: Record<string, any> = {};
    await pollUntil(async () => {
      report = (await (await admin('/admin/keys/limited')).json()) as Record<string, any>;
      return report.usage?.day?.requests === 2;
    }, 'the usage ledger');
    expect(report.name).toBe('limited');
    expect(report.usage.day.prompt_tokens).toBeGreaterThan(0);
    expect(report.usage.day.completion_tokens).toBeGreaterThan(0);
    expect(report.usage.month.requests).toBe(2);
    expect(report.usage.day.period).toBe(new Date().toISOString().slice(0, 10));
    expect(report.limits.rates).toEqual([{ limit: 'rpm', value: 3, remaining: 1, reset_ms: expect.any(Number) }]);
    const all = (await (await admin('/admin/keys')).json()) as { store: string; keys: Array<{ name: string }> };
    expect(all.store).toBe('memory');
    expect(all.keys.map((k) => k.name)).toEqual(['team', 'hashed', 'limited', 'tokens', 'one-at-a-time', 'budget']);
  });

  it('shows a budget spent, and answers 404 for a key that does not exist', async () => {
    await ask(env.BUDGET_KEY);
    let report: Record<string, any> = {};
    await pollUntil(async () => {
      report = (await (await admin('/admin/keys/budget')).json()) as Record<string, any>;
      return report.limits?.budgets?.[0]?.usd_spent > 0;
    }, 'the spend recorded');
    expect(report.limits.budgets[0]).toMatchObject({ period: 'day', usd_limit: 0.5, renews_at: expect.stringMatching(/T00:00:00.000Z$/) });
    expect(report.usage.day.usd).toBe(report.limits.budgets[0].usd_spent);
    expect((await admin('/admin/keys/nobody')).status).toBe(404);
  });
});
