// The only host APIs core/ may use: text encoding, which every runtime Vane targets
// (Node, Deno, browsers, Workers) provides identically. Everything else is injected.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
