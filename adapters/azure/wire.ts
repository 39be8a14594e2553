/**
 * Azure OpenAI's wire: OpenAI's chat, completions and embeddings shapes (adapters/openai-compatible/
 * wire.ts reads them), plus what Azure adds. Answers carry content-filter annotations: top-level
 * `prompt_filter_results` (older versions: `prompt_annotations`) and `content_filter_results` per
 * choice; a stream opens with a chunk that has only the prompt's (`choices: []`, `id: ""`,
 * `object: ""`, `created: 0`, `model: ""`). Errors are `{error: {code, message, param?, type?,
 * innererror?}}` with `code` a string (`"429"`, `"DeploymentNotFound"`, `"content_filter"`), and a
 * content-filter refusal names `ResponsibleAIPolicyViolation` in `innererror.code`.
 */

/** One category's verdict: severity-graded ones (hate, self_harm, sexual, violence). */
export interface AzureSeverityResult {
  filtered: boolean;
  severity: 'safe' | 'low' | 'medium' | 'high';
}

/** Detection-only categories (jailbreak, protected_material_text, protected_material_code). */
export interface AzureDetectionResult {
  filtered: boolean;
  detected: boolean;
}

export interface AzureContentFilterResults {
  hate?: AzureSeverityResult;
  self_harm?: AzureSeverityResult;
  sexual?: AzureSeverityResult;
  violence?: AzureSeverityResult;
  jailbreak?: AzureDetectionResult;
  protected_material_text?: AzureDetectionResult;
  protected_material_code?: AzureDetectionResult;
  error?: { code: string; message: string };
}

export interface AzurePromptFilterResult {
  prompt_index: number;
  content_filter_results: AzureContentFilterResults;
}

/** The stream's opening chunk: the prompt's filter verdict and nothing for the client. */
export interface AzurePromptFilterChunk {
  id: '';
  object: '';
  created: 0;
  model: '';
  choices: [];
  prompt_filter_results: AzurePromptFilterResult[];
}

export interface AzureErrorBody {
  error: {
    /** Always a string: the HTTP status as text (`"429"`, `"401"`) or a name (`"DeploymentNotFound"`). */
    code: string | null;
    message: string;
    param?: string | null;
    type?: string | null;
    status?: number;
    innererror?: { code: string; content_filter_result?: AzureContentFilterResults };
  };
}
