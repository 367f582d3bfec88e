// The rendered width of an element, kept current, for SVG pictures that draw at the size shown.
import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export function useWidth(ref: RefObject<Element | null>, initial = 800): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const observer = new ResizeObserver((entries) => {
      const measured = entries[0]?.contentRect.width;
      if (measured !== undefined && measured > 0) setWidth(Math.floor(measured));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
