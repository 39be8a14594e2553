/**
 * Azure OpenAI's error bodies: `{error: {code, message, param?, type?, innererror?}}` with `code`
 * always a string, the status as text (`"401"`, `"429"`, `"404"`) where Azure's own front door
 * answers, or a name (`"DeploymentNotFound"`, `"content_filter"`, `"BadRequest"`). Validation errors
 * from the model service keep OpenAI's shape (`type: "invalid_request_error"`, `code: null` or
 * `context_length_exceeded`). The shared generation writes OpenAI-kind errors; `toAzureError` turns
 * them into Azure's, so faults and rejections look as Azure's do.
 */
import { openaiFlavor } from '../../flavor.js';
import { isRecord } from '../../request.js';

export interface AzureErrorBody {
  error: {
    code: string | null;
    message: string;
    param?: string | null;
    type?: string | null;
    status?: number;
    innererror?: Record<string, unknown>;
  };
}

/** What Azure's front door says for the statuses it answers itself. */
const azureMessages: Readonly<Record<number, string>> = {
  401: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  404: 'Resource not found',
  408: 'The operation was timeout.',
  429: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
  500: 'The server had an error while processing your request. Sorry about that!',
  503: 'The service is temporarily unable to process your request. Please try again later.',
};

/** Codes the OpenAI kind uses by default; Azure sends the status as text instead. */
const openAIDefaultCodes: ReadonlySet<string> = new Set(['rate_limit_exceeded', 'invalid_api_key', 'unsupported_country_region_territory']);

const filterVerdict = { filtered: false, severity: 'safe' } as const;

/** A choice's or a prompt's content-filter verdict: nothing flagged. */
export const passedFilterResults = {
  hate: filterVerdict,
  self_harm: filterVerdict,
  sexual: filterVerdict,
  violence: filterVerdict,
};

export const promptFilterResults = [{ prompt_index: 0, content_filter_results: passedFilterResults }];

export function azureError(status: number, code: string, message?: string): AzureErrorBody {
  return { error: { code, message: message ?? azureMessages[status] ?? `Request failed with status ${status}.` } };
}

export const deploymentNotFound = (): AzureErrorBody =>
  azureError(
    404,
    'DeploymentNotFound',
    'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
  );

/** The 400 of a prompt refused by the content filter, as Azure words it. */
function contentFilterError(message: string | undefined): AzureErrorBody {
  return {
    error: {
      message:
        message ??
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: { ...passedFilterResults, violence: { filtered: true, severity: 'high' } },
      },
    },
  };
}

/** An OpenAI-kind error body (or one of ours already) as Azure's, for a response of `status`. */
export function toAzureError(status: number, body: unknown): AzureErrorBody {
  const inner = isRecord(body) && isRecord(body['error']) ? body['error'] : {};
  const given = typeof inner['message'] === 'string' ? inner['message'] : undefined;
  const openAIDefault = openaiFlavor.errorBody(status).error.message;
  const message = given === undefined || given === openAIDefault ? undefined : given;
  const code = inner['code'];
  if (code === 'content_filter') return contentFilterError(message);
  if (typeof code === 'string' && !openAIDefaultCodes.has(code)) {
    if ('innererror' in inner) return body as AzureErrorBody;
    return { error: { ...inner, code, message: message ?? azureMessages[status] ?? openAIDefault } };
  }
  if (status === 400 || status === 413 || status === 422) {
    // The model service's validation errors: OpenAI's shape, code null.
    return {
      error: {
        message: message ?? openAIDefault,
        type: 'invalid_request_error',
        param: (inner['param'] as string | null) ?? null,
        code: null,
      },
    };
  }
  return azureError(status, String(status), message);
}
