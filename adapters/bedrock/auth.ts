/**
 * Credentials on the final request, apart from translation (DESIGN §6). Bedrock has two schemes:
 * a Bedrock API key as `Authorization: Bearer` (no signature at all), or AWS SigV4 over the exact bytes
 * that are sent — method, path, headers and the body's SHA-256 — with service `bedrock` (not
 * `bedrock-runtime`) and the provider's region. Signing is smithy's maintained signer, which encodes the
 * already-encoded path again for the canonical URI (`%3A` -> `%253A`), the step whose omission makes
 * model ids with `:` fail with "signature does not match". Credentials are explicit keys from the
 * settings or, by default, the standard AWS chain (env, shared files, SSO, web identity, container and
 * instance roles), resolved once per provider and cached by the chain itself until shortly before they
 * expire. The Host header is set to the region's endpoint, the host the signature is made for.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AuthTarget, ProviderSettings, UpstreamHttpRequest } from '../types.js';
import { regionHost, type BedrockSettings } from './settings.js';

export interface SigningOptions {
  /** The signing time (tests fix it); default now. */
  now?: () => Date;
  /** Where credentials come from when the settings hold none; default the standard AWS chain. */
  credentials?: AwsCredentialIdentityProvider;
}

type Settings = ProviderSettings<BedrockSettings>;

/**
 * The standard AWS credential chain (env, shared files, SSO, web identity, container and instance
 * roles), imported on first use: the package costs about 80 ms to load, which a gateway without a
 * Bedrock provider relying on it should not pay at start. The chain caches and refreshes credentials.
 */
function standardChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (props) => {
    chain ??= import('@aws-sdk/credential-providers').then((m) => m.fromNodeProviderChain());
    return (await chain)(props);
  };
}

/** One signer per provider settings object (built once per provider when the config loads). */
const signers = new WeakMap<Settings, SignatureV4>();

function credentialsOf(
  settings: Settings,
  fallback: () => AwsCredentialIdentityProvider,
): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  const { access_key_id: accessKeyId, secret_access_key: secretAccessKey, session_token: sessionToken } = settings;
  if (accessKeyId === undefined && secretAccessKey === undefined) return fallback();
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new Error(`provider '${settings.id}': access_key_id and secret_access_key go together`);
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

export function signerFor(settings: Settings, options: SigningOptions = {}): SignatureV4 {
  const cached = options.credentials === undefined ? signers.get(settings) : undefined;
  if (cached) return cached;
  const signer = new SignatureV4({
    service: 'bedrock',
    region: settings.region,
    sha256: Sha256,
    credentials: credentialsOf(settings, () => options.credentials ?? standardChain()),
  });
  if (options.credentials === undefined) signers.set(settings, signer);
  return signer;
}

export async function signRequest(
  request: UpstreamHttpRequest,
  settings: Settings,
  options: SigningOptions = {},
): Promise<UpstreamHttpRequest> {
  const host = regionHost(settings.region);
  const q = request.path.indexOf('?');
  const path = q < 0 ? request.path : request.path.slice(0, q);
  const query: Record<string, string> = q < 0 ? {} : Object.fromEntries(new URLSearchParams(request.path.slice(q + 1)));
  request.headers['host'] = host;
  const signed = await signerFor(settings, options).sign(
    { method: request.method, protocol: 'https:', hostname: host, path, query, headers: { ...request.headers }, body: request.body ?? '' },
    options.now ? { signingDate: options.now() } : {},
  );
  for (const [name, value] of Object.entries(signed.headers)) request.headers[name.toLowerCase()] = value;
  return request;
}

export function authorize(
  request: UpstreamHttpRequest,
  target: AuthTarget<BedrockSettings>,
): UpstreamHttpRequest | Promise<UpstreamHttpRequest> {
  // A configured Authorization header (a proxy's own scheme) has been set already and wins.
  if (request.headers['authorization'] !== undefined) return request;
  const key = target.provider.api_key;
  if (key !== undefined) {
    request.headers['authorization'] = `Bearer ${key}`;
    return request;
  }
  return signRequest(request, target.provider);
}
