// Terms, indexes and sizes are stored as little-endian u64 but handled as numbers: every value
// written must be a safe integer, and a stored value that is not one reads as -1 (damage).

export function setU64(view: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`storage invariant: ${value} is not a non-negative safe integer`);
  }
  view.setUint32(offset, value % 0x1_0000_0000, true);
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

export function getU64(view: DataView, offset: number): number {
  const value = view.getUint32(offset + 4, true) * 0x1_0000_0000 + view.getUint32(offset, true);
  return Number.isSafeInteger(value) ? value : -1;
}
