// One home section in full, behind its shelf's "Show all": the section's items (more than the
// shelf's) as cards that wrap, which play and open as on the shelf (and are logged as clicks on
// that section).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { getHomeSection } from '../../api/homeSection';
import type { HomeItem } from '../../api/home';
import { isAbortError } from '../../api/errors';
import { useTitle } from '../../app/useTitle';
import { LoadMore } from '../../components/LoadMore';
import { ErrorMessage, Loading } from '../../components/LoadState';
import { toShelves } from '../home/feed';
import { Shelf } from '../home/Shelf';

const PAGE = 50;

export default function HomeSectionPage() {
  const { params } = useRoute();
  const sectionId = params.id ?? '';
  const [title, setTitle] = useState('');
  const [items, setItems] = useState<HomeItem[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const offset = useRef(0);
  useTitle(title || 'Home');

  useEffect(() => {
    const controller = new AbortController();
    setBusy(true);
    setError(null);
    getHomeSection(sectionId, offset.current, PAGE, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setTitle(page.title);
        setItems((prev) => [...prev, ...page.items.items]);
        setTotal(page.items.total);
        offset.current += page.items.items.length;
        setBusy(false);
      },
      (cause) => {
        if (controller.signal.aborted || isAbortError(cause)) return;
        setError(cause);
        setBusy(false);
      },
    );
    return () => controller.abort();
  }, [sectionId, round]);

  const shelf = useMemo(() => toShelves({ sections: [{ id: sectionId, title, position: 0, propensity: 1, items }] })[0], [sectionId, title, items]);
  const hasMore = total !== null && offset.current < total;

  return (
    <div class="page home home-section-page">
      <div class="page-head">
        <h1>{title || ' '}</h1>
        <a class="section-link" href="/">Home</a>
      </div>
      {shelf && <Shelf shelf={shelf} whole />}
      {!shelf && busy && <Loading />}
      {!shelf && !busy && !error && <p class="muted">Nothing here right now.</p>}
      {error != null && <ErrorMessage error={error} onRetry={() => setRound((r) => r + 1)} />}
      {shelf && hasMore && !error && <LoadMore onLoad={() => setRound((r) => r + 1)} busy={busy} />}
    </div>
  );
}
