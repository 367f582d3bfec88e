// The event half of a PeerSocket, shared by every runtime's adapter: frames that arrive before the
// transport attaches its callback are kept and handed over when it does, and a close is reported
// once, even to a callback attached after it.
export class PeerSocketEvents {
  #messageCallback: ((frame: Uint8Array) => void) | null = null;
  #closeCallback: ((code: number, reason: string) => void) | null = null;
  #early: Uint8Array[] = [];
  #closed: { code: number; reason: string } | null = null;

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** A frame the socket received. */
  deliver(frame: Uint8Array): void {
    if (this.#messageCallback === null) this.#early.push(frame);
    else this.#messageCallback(frame);
  }

  /** The socket closed; later calls are ignored. */
  close(code: number, reason: string): void {
    if (this.#closed !== null) return;
    this.#closed = { code, reason };
    this.#closeCallback?.(code, reason);
  }

  onMessage(callback: (frame: Uint8Array) => void): void {
    this.#messageCallback = callback;
    const early = this.#early;
    this.#early = [];
    for (const frame of early) callback(frame);
  }

  onClose(callback: (code: number, reason: string) => void): void {
    this.#closeCallback = callback;
    if (this.#closed !== null) callback(this.#closed.code, this.#closed.reason);
  }
}
