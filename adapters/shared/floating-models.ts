/**
 * Which model ids are floating aliases: names a provider re-points at new snapshots without notice
 * (`gpt-4o`, `claude-3-5-sonnet-latest`, `gemini-1.5-pro`, an Ollama name without a tag). A
 * deployment is a pinned model (DESIGN §2), so the config refuses a floating id unless the deployment
 * says `allow_floating: true` (config/cross-check.ts). Each rule returns why an id floats, or
 * undefined when it is pinned; a provider kind attaches the rule of its provider (adapters/index.ts).
 * The rules for providers whose native adapter has not landed yet (Anthropic, Gemini, Bedrock) live
 * here too, so that adapter only has to attach them. Self-hosted servers (vLLM, TGI, SGLang, llama.cpp)
 * have no rule: their model name is whatever the server was started with.
 */

/** Why `model` floats, or undefined when it is a pinned id. */
export type FloatingModelRule = (model: string) => string | undefined;

/** A `-latest` suffix floats at every provider that uses it. */
const latestSuffix = /-latest$/;

// ---- OpenAI ---------------------------------------------------------------------------------------

/** `gpt-4o-2024-08-06`, `o1-2024-12-17`, `gpt-4o-realtime-preview-2024-12-17`. */
const openAIDated = /-\d{4}-\d{2}-\d{2}$/;
/** The older snapshot form: `gpt-4-0613`, `gpt-3.5-turbo-0125`, `gpt-4-1106-preview`, `gpt-4-1106-vision-preview`. */
const openAIMonthDay = /-(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:-(?:vision-)?preview)?$/;
/**
 * Families OpenAI publishes without dated snapshots: the id itself is the version (`text-embedding-3-small`,
 * `text-embedding-ada-002`, `whisper-1`, `tts-1-hd`, `dall-e-3`, `omni-moderation-2024-09-26`'s family,
 * `davinci-002`). There is nothing to pin them to, and OpenAI ships a changed model under a new name, so
 * they count as pinned; their `-latest` and `-stable` names still float.
 */
const openAIUndatedFamilies = /^(?:text-embedding-|whisper-|tts-|dall-e-|omni-moderation-|text-moderation-|babbage-002$|davinci-002$)/;

/** OpenAI: a dated snapshot, an undated family, or a fine-tune (`ft:…`, fixed weights) is pinned. */
export const openAIFloatingModel: FloatingModelRule = (model) => {
  if (latestSuffix.test(model) || model.endsWith('-stable'))
    return `'${model}' is a floating alias: OpenAI moves it to new snapshots; pin a dated snapshot id (OpenAI's models page lists them)`;
  if (model.startsWith('ft:') || openAIUndatedFamilies.test(model) || openAIDated.test(model) || openAIMonthDay.test(model))
    return undefined;
  return `'${model}' is a floating alias: OpenAI moves it to new snapshots; pin a dated id such as ${model}-YYYY-MM-DD (OpenAI's models page lists them)`;
};

// ---- Gemini (Google AI and Vertex AI) ----------------------------------------------------------------

/** A numbered stable version: `gemini-1.5-pro-002`, `gemini-2.0-flash-001`, `text-embedding-004`. */
const geminiNumbered = /-\d{3}$/;
/** A dated preview or experiment: `gemini-2.5-pro-preview-06-05`, `…-preview-09-2025`, `gemini-exp-1206`. */
const geminiDated = /-(?:\d{2}-\d{2}|\d{2}-\d{4}|\d{4})$/;
/** A preview or experiment without a date: Google replaces what it serves. */
const geminiUndatedPreview = /-(?:preview|exp)$/;
/** `gemini-<generation>-…` */
const geminiGeneration = /^gemini-(\d+(?:\.\d+)?)-/;

/**
 * Gemini: up to 2.0, a stable model has numbered versions and its plain name is an auto-updated alias
 * (`gemini-1.5-pro` -> `-002`, `gemini-2.0-flash` -> `-001`). From 2.5 on Google publishes no numbered
 * versions: the plain name (`gemini-2.5-flash`) is the stable model itself, and a change comes under a
 * new name, so it counts as pinned. `-latest`, and previews without a date, float.
 */
export const geminiFloatingModel: FloatingModelRule = (model) => {
  // `models/gemini-1.5-pro-002` (Gemini API), `publishers/google/models/…` (Vertex AI).
  const name = model.slice(model.lastIndexOf('/') + 1);
  if (latestSuffix.test(name))
    return `'${model}' is a floating alias: Google points it at its newest release, previews included; pin a versioned id (such as gemini-1.5-pro-002)`;
  if (geminiNumbered.test(name) || geminiDated.test(name)) return undefined;
  if (geminiUndatedPreview.test(name))
    return `'${model}' is a preview without a date: Google replaces the model behind it; pin a dated preview or a stable version`;
  const generation = geminiGeneration.exec(name)?.[1];
  if (generation !== undefined && Number(generation) >= 2.5) return undefined;
  return `'${model}' is an auto-updated alias: Google points it at the latest stable version; pin a versioned id such as ${name}-001 (the models page lists them)`;
};

// ---- Amazon Bedrock -----------------------------------------------------------------------------------

/** `anthropic.claude-3-5-sonnet-20240620-v1:0`, `us.…-v1:0` (inference profile), `amazon.titan-text-express-v1:0:8k`. */
const bedrockVersioned = /:\d+(?::\d+k)?$/;

/**
 * Bedrock: a model id carries its version after a colon; without it Bedrock picks the newest. An ARN
 * (provisioned throughput, an application inference profile) is bound to one model version: pinned.
 */
export const bedrockFloatingModel: FloatingModelRule = (model) => {
  if (model.startsWith('arn:') || bedrockVersioned.test(model)) return undefined;
  return `'${model}' has no version suffix: Bedrock resolves it to the newest version; pin one such as ${model}:0`;
};

// ---- Ollama ---------------------------------------------------------------------------------------------

/**
 * Ollama: `name:tag`. A name without a tag is `name:latest`, and `latest` moves whenever the library
 * updates the model (`ollama pull` brings the new one). Any other tag counts as pinned. The tag is in
 * the last path segment (`registry.example:5000/team/llama3:8b`).
 */
export const ollamaFloatingModel: FloatingModelRule = (model) => {
  const name = model.slice(model.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  const tag = colon === -1 ? undefined : name.slice(colon + 1);
  if (tag !== undefined && tag !== '' && tag !== 'latest') return undefined;
  const what = tag === 'latest' ? 'the :latest tag' : 'a name without a tag (Ollama reads it as :latest)';
  return `'${model}' is ${what}, which moves when the model is updated in the library; pin a size or quantisation tag (name:tag, e.g. llama3.1:8b, as \`ollama list\` shows it)`;
};
