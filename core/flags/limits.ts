// Every part of a flag or segment document has a limit, so that a document can be evaluated on a
// hot path in a browser tab without surprises; a document over a limit is refused, naming it.

export interface FlagLimits {
  /** UTF-8 bytes of one flag document's JSON text. */
  readonly maxFlagDocumentBytes: number;
  /** UTF-8 bytes of one segment document's JSON text (segments hold long key lists). */
  readonly maxSegmentDocumentBytes: number;
  /** Characters in a flag or segment key (ASCII only, so characters are bytes). */
  readonly maxKeyLength: number;
  /** Characters in a variation id or a rule id. */
  readonly maxIdLength: number;
  /** Characters in a salt. */
  readonly maxSaltLength: number;
  /** Characters in a description or a variation name. */
  readonly maxDescriptionLength: number;
  /** Variations in one flag. */
  readonly maxVariations: number;
  /** Targeting rules in one flag. */
  readonly maxRules: number;
  /** Rules in one segment. */
  readonly maxSegmentRules: number;
  /** Clauses in one rule (they are ANDed). */
  readonly maxClausesPerRule: number;
  /** Values in one clause (they are ORed). */
  readonly maxValuesPerClause: number;
  /** Characters in one string value of a clause, or one context key in a target or segment list. */
  readonly maxStringValueLength: number;
  /** Context keys over all of a flag's individual targets. */
  readonly maxTargetKeys: number;
  /** Context keys over a segment's included and excluded lists. */
  readonly maxSegmentKeys: number;
  /** Characters in an attribute reference ('plan' or '/address/city'). */
  readonly maxAttributeLength: number;
  /** Path segments in an attribute reference ('/a/b/c' has 3). */
  readonly maxAttributeDepth: number;
  /** Nesting of a whole document, variation values included. */
  readonly maxJsonDepth: number;
}

export const FLAG_LIMITS: FlagLimits = {
  maxFlagDocumentBytes: 256 * 1024,
  maxSegmentDocumentBytes: 1024 * 1024,
  maxKeyLength: 256,
  maxIdLength: 64,
  maxSaltLength: 64,
  maxDescriptionLength: 1024,
  maxVariations: 100,
  maxRules: 200,
  maxSegmentRules: 100,
  maxClausesPerRule: 32,
  maxValuesPerClause: 1000,
  maxStringValueLength: 1024,
  maxTargetKeys: 10_000,
  maxSegmentKeys: 50_000,
  maxAttributeLength: 256,
  maxAttributeDepth: 8,
  maxJsonDepth: 32,
};

export type FlagLimitName = keyof FlagLimits;
