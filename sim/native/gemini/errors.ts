/**
 * Google's error bodies, as the Gemini API sends them: google.rpc.Status under `error`, with the HTTP
 * code, the canonical status name and, for some, `details` (RetryInfo on a 429, ErrorInfo for a bad
 * key). Messages are the API's own wording for the cases the simulator reproduces.
 */

export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

const statusNames: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const defaultMessages: Readonly<Record<number, string>> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

export function googleStatusName(status: number): string {
  return statusNames[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

/** The body for `status`; a 429 carries RetryInfo when a wait is known, as Google's do. */
export function googleError(status: number, message?: string, retryAfterSeconds?: number): GoogleErrorBody {
  const body: GoogleErrorBody = {
    error: {
      code: status,
      message: message ?? defaultMessages[status] ?? `Request failed with status ${status}.`,
      status: googleStatusName(status),
    },
  };
  if (status === 429 && retryAfterSeconds !== undefined) {
    body.error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }];
  }
  return body;
}

export function modelNotFound(model: string, version: string, method: string): GoogleErrorBody {
  return googleError(
    404,
    `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

export const missingKey = (): GoogleErrorBody =>
  googleError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );

export function invalidKey(): GoogleErrorBody {
  const body = googleError(400, 'API key not valid. Please pass a valid API key.');
  body.error.details = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ];
  return body;
}

export function contextTooLong(promptTokens: number, limit: number): GoogleErrorBody {
  return googleError(400, `The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${limit}).`);
}
