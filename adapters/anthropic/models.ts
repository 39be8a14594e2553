/**
 * Which Anthropic model ids float (adapters/shared/floating-models.ts explains why the config refuses
 * floating ids). Anthropic changed its naming with the Claude 4.6 generation, per its "Model IDs and
 * versioning" page (platform.claude.com/docs/en/about-claude/models/model-ids-and-versions):
 * - before 4.6, the id carries a snapshot date (`claude-sonnet-4-5-20250929`, on Vertex AI
 *   `claude-haiku-4-5@20251001`) and the undated short names (`claude-sonnet-4-5`, `claude-3-5-sonnet`,
 *   `claude-sonnet-4-0`) are convenience aliases pointing at the newest snapshot: they float;
 * - from 4.6 on, the dateless id (`claude-sonnet-4-6`, `claude-opus-4-7`) is the canonical id of one
 *   fixed snapshot (Anthropic ships changed weights under a new id): pinned;
 * - `-latest` names and bare family names (`opus`, `sonnet`, `haiku`) always float.
 */
import type { FloatingModelRule } from '../shared/floating-models.js';

/** `claude-sonnet-4-20250514`; on Vertex AI `claude-3-5-sonnet-v2@20241022`. */
const dated = /[-@]\d{8}$/;
/** The first models, versioned before dates: `claude-2.1`, `claude-instant-1.2`. */
const legacy = /^claude-(?:instant-)?\d\.\d$/;
/** The name-first form: `claude-{name}-{major}[-{minor}]`, as `claude-opus-4-7` or `claude-sonnet-5`. */
const nameFirst = /^claude-[a-z]+-(\d+)(?:-(\d))?$/;
/** The first generation whose dateless ids are pinned snapshots. */
const datelessPinnedFrom = 4.6;

function datelessVersion(model: string): number | undefined {
  const match = nameFirst.exec(model);
  return match ? Number(match[1]) + Number(match[2] ?? 0) / 10 : undefined;
}

export const anthropicFloatingModel: FloatingModelRule = (model) => {
  if (model.endsWith('-latest')) {
    return `'${model}' is a floating alias: Anthropic moves it to its newest snapshot; pin a model id (claude-sonnet-4-6, or a dated one such as claude-sonnet-4-5-20250929)`;
  }
  if (dated.test(model) || legacy.test(model)) return undefined;
  const version = datelessVersion(model);
  if (version !== undefined && version >= datelessPinnedFrom) return undefined;
  return `'${model}' is an alias without a snapshot date: Anthropic points it at the newest snapshot; pin a dated id (…-YYYYMMDD, e.g. claude-sonnet-4-5-20250929) or a model of the 4.6 generation or later, whose dateless ids are pinned`;
};
