// How the dashboard shows a value: JSON pretty-printed, JSON that does not parse with where it
// breaks, or plain text. A value is taken for JSON when it starts like an object or an array;
// anything else (`on`, `42`, `hello`) is shown as it is.

export type ValueView =
  | { readonly kind: 'json'; readonly pretty: string }
  | { readonly kind: 'invalidJson'; readonly message: string; readonly line: number; readonly column: number }
  | { readonly kind: 'text' };

export function viewValue(text: string): ValueView {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return { kind: 'text' };
  try {
    return { kind: 'json', pretty: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    // JSON.parse's messages differ between engines and seldom say where; find the place ourselves.
    const { offset, message } = findJsonError(text);
    const before = text.slice(0, offset).split('\n');
    return {
      kind: 'invalidJson',
      message,
      line: before.length,
      column: before[before.length - 1]!.length + 1,
    };
  }
}

/** The text to edit: JSON pretty-printed so that a one-line document is readable, anything else as it is. */
export function editableText(text: string): string {
  const view = viewValue(text);
  return view.kind === 'json' ? view.pretty : text;
}

interface JsonError {
  readonly offset: number;
  readonly message: string;
}

/** Nesting deeper than this is reported rather than recursed into. */
const MAX_DEPTH = 512;

/** Where JSON.parse gave up on `text`, and why, by a scan of JSON's grammar. */
function findJsonError(text: string): JsonError {
  let at = 0;
  const fail = (message: string): never => {
    throw { offset: at, message } satisfies JsonError;
  };
  const describe = () => (at >= text.length ? 'end of text' : `'${text[at]}'`);
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, at)) at += word.length;
    else fail(`unexpected ${describe()}; expected a value`);
  };
  const string = () => {
    at++;
    while (at < text.length && text[at] !== '"') {
      const c = text.charCodeAt(at);
      if (c < 0x20) fail('a line break or control character inside a string (write it as \\n)');
      if (text[at] === '\\') {
        at++;
        if (text[at] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5)))
            fail('\\u must be followed by 4 hex digits');
          at += 4;
        } else if (!'"\\/bfnrt'.includes(text[at] ?? '')) fail(`unknown escape \\${text[at] ?? ''}`);
      }
      at++;
    }
    if (at >= text.length) fail('a string that never ends (missing ")');
    at++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (match === null || match[0] === '-') fail(`unexpected ${describe()}; expected a value`);
    at += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      space();
      if (text[at] === '}') {
        at++;
        return;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail(`unexpected ${describe()}; expected a property name in double quotes`);
        string();
        space();
        if (text[at] !== ':') fail(`unexpected ${describe()}; expected ':' after the property name`);
        at++;
        value(depth + 1);
        space();
        if (text[at] === '}') {
          at++;
          return;
        }
        if (text[at] !== ',') fail(`unexpected ${describe()}; expected ',' or '}'`);
        at++;
      }
    } else if (c === '[') {
      at++;
      space();
      if (text[at] === ']') {
        at++;
        return;
      }
      for (;;) {
        value(depth + 1);
        space();
        if (text[at] === ']') {
          at++;
          return;
        }
        if (text[at] !== ',') fail(`unexpected ${describe()}; expected ',' or ']'`);
        at++;
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value(0);
    space();
    if (at < text.length) fail(`unexpected ${describe()} after the end of the document`);
  } catch (error) {
    return error as JsonError;
  }
  throw new Error('findJsonError: JSON.parse refused a text that follows the JSON grammar');
}
