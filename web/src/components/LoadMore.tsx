// "Load more" for paged lists; also loads on its own when scrolled into view.
import { useEffect, useRef } from 'preact/hooks';

export function LoadMore({ onLoad, busy, label = 'Load more' }: { onLoad: () => void; busy: boolean; label?: string }) {
  const ref = useRef<HTMLButtonElement>(null);
  const latest = useRef({ onLoad, busy });
  latest.current = { onLoad, busy };
  useEffect(() => {
    const button = ref.current;
    if (!button || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !latest.current.busy) latest.current.onLoad();
    }, { rootMargin: '400px' });
    observer.observe(button);
    return () => observer.disconnect();
  }, []);
  return (
    <div class="load-more">
      <button ref={ref} type="button" class="button" onClick={onLoad} disabled={busy}>
        {busy ? 'Loading…' : label}
      </button>
    </div>
  );
}
