// "Who gets what": the flag as edited (saved or not) evaluated for a context typed in as JSON, with
// the variation, its value and why (target, rule, rollout bucket, off).
import { useState } from 'preact/hooks';
import {
  BUCKET_COUNT,
  type EvaluationContext,
  evaluateFlag,
  type FlagDocument,
  type SegmentLookup,
} from '../../core/flags/index.ts';
import { viewValue } from '../keys/json-text.ts';

const EXAMPLE_CONTEXT = '{\n  "key": "user-42",\n  "plan": "pro",\n  "country": "DE"\n}';

export function FlagPreview({ flag, segments }: { flag: FlagDocument | null; segments: SegmentLookup }) {
  const [text, setText] = useState(EXAMPLE_CONTEXT);
  const view = viewValue(text);
  let context: EvaluationContext | string;
  if (view.kind === 'invalidJson') context = `${view.message} (line ${view.line}, column ${view.column})`;
  else if (view.kind === 'text') context = 'a context is a JSON object with a "key", e.g. {"key": "user-42"}';
  else context = JSON.parse(text) as EvaluationContext;
  return (
    <div class="grid-2" data-testid="preview">
      <label class="field">
        <span>Context (JSON)</span>
        <textarea rows={7} value={text} onInput={(e) => setText(e.currentTarget.value)} spellcheck={false} />
      </label>
      <div class="field">
        <span>Result</span>
        {flag === null ? (
          <p class="muted">Fix the flag's problems to preview it.</p>
        ) : typeof context === 'string' ? (
          <p style={{ color: 'var(--down)' }}>{context}</p>
        ) : (
          <Evaluation flag={flag} context={context} segments={segments} />
        )}
      </div>
    </div>
  );
}

function Evaluation(props: { flag: FlagDocument; context: EvaluationContext; segments: SegmentLookup }) {
  const result = evaluateFlag(props.flag, props.context, { segments: props.segments });
  const reason = result.reason;
  if (result.variationId === undefined) {
    return (
      <div class="banner error result" data-testid="preview-result">
        no variation ({reason.errorKind}): {reason.errorMessage}. The application serves its own default.
      </div>
    );
  }
  const why =
    reason.kind === 'OFF'
      ? 'the flag is off'
      : reason.kind === 'TARGET_MATCH'
        ? 'the context key is targeted individually'
        : reason.kind === 'RULE_MATCH'
          ? `rule ${(reason.ruleIndex ?? 0) + 1}${reason.ruleId === undefined ? '' : ` (${reason.ruleId})`} matched`
          : 'no target or rule matched: the default rule';
  return (
    <div class="result" data-testid="preview-result" data-variation={result.variationId}>
      <p style={{ margin: '0 0 0.3rem' }}>
        serves <b>{result.variationId}</b> = <code>{JSON.stringify(result.value)}</code>
      </p>
      <p class="muted small" style={{ margin: 0 }}>
        because {why}
        {reason.inRollout === true &&
          reason.bucket !== undefined &&
          `; in the rollout its bucket is ${((reason.bucket / BUCKET_COUNT) * 100).toFixed(3)}%`}
        {reason.bucketByMissing !== undefined &&
          ` (it has no ${reason.bucketByMissing}, so it was bucketed by its key)`}
      </p>
    </div>
  );
}
