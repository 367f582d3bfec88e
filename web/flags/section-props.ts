// What the sections of the flag editor share: the document being edited and how to change it.
import type { FlagDocument } from '../../core/flags/index.ts';

export interface SectionProps {
  flag: FlagDocument;
  onChange: (flag: FlagDocument) => void;
}

export interface FieldCheck {
  /** Reports whether the text in a field (named uniquely) can be used; invalid ones block saving. */
  markField: (field: string, valid: boolean) => void;
  invalid: ReadonlySet<string>;
}
