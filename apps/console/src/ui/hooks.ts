import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Runs `load` now and then every `intervalMs` while the component is mounted
 * and the page is visible, one call at a time; `deps` restart it. Results of
 * a call that ends after the unmount are dropped, never aborted mid-flight.
 */
export function usePoll(load: (alive: () => boolean) => Promise<void>, intervalMs: number, deps: unknown[]) {
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (!document.hidden) await loadRef.current(() => alive).catch(() => undefined);
      if (alive) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, deps);
}

export type View = 'shop' | 'ops';

/** The view named in the URL's hash (#shop, #ops), so it survives a reload and can be linked. */
export function useView(): [View, (v: View) => void] {
  const read = (): View => (location.hash === '#ops' ? 'ops' : 'shop');
  const [view, setView] = useState(read);
  useEffect(() => {
    const onHash = () => setView(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return [view, (v) => (location.hash = v)];
}
