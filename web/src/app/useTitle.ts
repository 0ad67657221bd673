import { useEffect } from 'preact/hooks';

/** Sets the document title to "<title> – Segue" while the page is shown. */
export function useTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} – Segue` : 'Segue';
  }, [title]);
}
