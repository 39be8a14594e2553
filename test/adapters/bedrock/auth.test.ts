/**
 * SigV4 as Bedrock checks it, computed here independently of the signer the adapter uses (node:crypto
 * and the steps of the AWS SigV4 specification: canonical request, string to sign, derived key), for a
 * fixed clock and fixed credentials; and the bearer-key path that skips signing.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorize, signRequest } from '../../../adapters/bedrock/auth.js';
import { buildRequest } from '../../../adapters/bedrock/request.js';
import { bedrockTarget, clientRequest } from './support.js';

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** The spec's steps, for a request with no query string, signing exactly `headers`. */
function expectedSignature(args: {
  method: string;
  canonicalUri: string;
  headers: Record<string, string>;
  body: string;
  amzDate: string;
  region: string;
  secret: string;
}): { signedHeaders: string; signature: string } {
  const names = Object.keys(args.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${args.headers[n]!.trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [args.method, args.canonicalUri, '', canonicalHeaders, signedHeaders, sha256(args.body)].join('\n');
  const day = args.amzDate.slice(0, 8);
  const scope = `${day}/${args.region}/bedrock/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', args.amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${args.secret}`, day), args.region), 'bedrock'), 'aws4_request');
  return { signedHeaders, signature: createHmac('sha256', key).update(stringToSign).digest('hex') };
}

const fixedNow = () => new Date(Date.UTC(2025, 0, 15, 12, 30, 45));
const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('SigV4', () => {
  it('signs the final body for service bedrock, encoding the already-encoded model id again in the canonical URI', async () => {
    const target = bedrockTarget('us.anthropic.claude-3-5-sonnet-20241022-v2:0', {
      region: 'us-west-2',
      access_key_id: 'AKIDEXAMPLE',
      secret_access_key: secret,
    });
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), target);
    expect(built.path).toBe('/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse');
    const signed = await signRequest(built, target.provider, { now: fixedNow });
    const body = String(signed.body);
    expect(signed.headers['x-amz-date']).toBe('20250115T123045Z');
    expect(signed.headers['host']).toBe('bedrock-runtime.us-west-2.amazonaws.com');
    const { authorization, ...sent } = signed.headers;
    const expected = expectedSignature({
      method: 'POST',
      canonicalUri: '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%253A0/converse',
      headers: sent,
      body,
      amzDate: '20250115T123045Z',
      region: 'us-west-2',
      secret,
    });
    expect(authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=${expected.signedHeaders}, Signature=${expected.signature}`,
    );
    expect(sent['x-amz-content-sha256']).toBe(sha256(body));
  });

  it('signs session credentials with their token, and static headers too', async () => {
    const target = bedrockTarget('anthropic.claude-3-haiku-20240307-v1:0', {
      access_key_id: 'ASIAEXAMPLE',
      secret_access_key: secret,
      session_token: 'token/with+chars',
    });
    target.provider = { ...target.provider, headers: { 'x-team': 'search' } };
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], stream: true }), target);
    const signed = await signRequest(built, target.provider, { now: fixedNow });
    expect(signed.headers['x-amz-security-token']).toBe('token/with+chars');
    const { authorization, ...sent } = signed.headers;
    expect(Object.keys(sent)).toContain('x-team');
    const expected = expectedSignature({
      method: 'POST',
      canonicalUri: '/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream',
      headers: sent,
      body: String(signed.body),
      amzDate: '20250115T123045Z',
      region: 'us-east-1',
      secret,
    });
    expect(authorization).toContain(`SignedHeaders=${expected.signedHeaders}, Signature=${expected.signature}`);
  });

  it('takes credentials from the chain when the settings hold none', async () => {
    const target = bedrockTarget();
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), target);
    let calls = 0;
    const credentials = () => {
      calls++;
      return Promise.resolve({ accessKeyId: 'AKIDCHAIN', secretAccessKey: secret });
    };
    const signed = await signRequest(built, target.provider, { now: fixedNow, credentials });
    expect(signed.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCHAIN\/20250115\/us-east-1\/bedrock\/aws4_request/);
    expect(calls).toBe(1);
  });

  it('refuses an access key id without its secret', async () => {
    const target = bedrockTarget(undefined, { access_key_id: 'AKIDEXAMPLE' });
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), target);
    await expect(Promise.resolve().then(() => signRequest(built, target.provider, { now: fixedNow }))).rejects.toThrow(/go together/);
  });
});

describe('authorize', () => {
  it('sends a Bedrock API key as a bearer token, without signing', () => {
    const target = bedrockTarget(undefined, { api_key: 'bedrock-key' });
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), target);
    const out = authorize(built, target);
    expect(out).not.toBeInstanceOf(Promise);
    expect((out as typeof built).headers['authorization']).toBe('Bearer bedrock-key');
    expect((out as typeof built).headers['x-amz-date']).toBeUndefined();
  });

  it('leaves a configured Authorization header alone', () => {
    const target = bedrockTarget(undefined, { api_key: 'bedrock-key' });
    const built = buildRequest(clientRequest({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), target);
    built.headers['authorization'] = 'Custom proxy';
    expect((authorize(built, target) as typeof built).headers['authorization']).toBe('Custom proxy');
  });
});
