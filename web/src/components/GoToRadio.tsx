// "Go to radio": starts an endless radio from a track, artist, album or playlist (issue 18).
// `compact` is the icon button of a track row; otherwise a labelled button for a page's action bar.
import { useState } from 'preact/hooks';
import { useRadio } from '../player';
import { RadioIcon } from './Icons';
import { showNotice } from './notices';

interface Props {
  uri: string;
  name: string;
  compact?: boolean;
}

export function GoToRadio({ uri, name, compact }: Props) {
  const radio = useRadio();
  const [busy, setBusy] = useState(false);
  if (!radio) return null;
  const start = async () => {
    setBusy(true);
    try {
      await radio.start(uri, name);
    } catch (err) {
      showNotice(`Could not start ${name} Radio: ${err instanceof Error ? err.message : 'the server refused'}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      class={compact ? 'icon-button track-radio' : 'button button-outline button-small go-to-radio'}
      aria-label={`Go to radio: ${name}`}
      title="Go to radio"
      disabled={busy}
      onClick={start}
    >
      <RadioIcon size={compact ? 18 : 20} />
      {!compact && <span>Go to radio</span>}
    </button>
  );
}
