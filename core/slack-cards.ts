// The release flows' old import path for their cards, kept while those flows move to
// core/release-cards.ts. The cards themselves: core/gate-cards.ts (the five decision cards),
// core/release-cards.ts (notices) and core/card-blocks.ts (their shared Block Kit helpers).
export type { SlackCard } from './card-blocks.ts';
export {
  failureCard,
  type PipelineResult,
  pipelinesFinishedCard,
  releaseCompletedCard,
  releasePrCreatedCard,
  stagedCard,
} from './release-cards.ts';
