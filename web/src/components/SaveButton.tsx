// A heart that toggles whether a track or album is in Your Library (aria-pressed = saved).
import type { LibraryKind } from '../api/endpoints';
import { describeError } from '../api/errors';
import { toggleSaved } from '../api/saved';
import { HeartIcon } from './Icons';
import { showNotice } from './notices';

interface Props {
  kind: LibraryKind;
  id: string;
  saved: boolean | undefined;
  /** The accessible name, e.g. "Save Yesterday". */
  label: string;
  text?: string;
  class?: string;
}

export function SaveButton({ kind, id, saved, label, text, class: className = '' }: Props) {
  const onClick = (event: MouseEvent) => {
    event.stopPropagation();
    toggleSaved(kind, id).catch((error) => showNotice(`Could not update Your Library: ${describeError(error)}`));
  };
  return (
    <button
      type="button"
      class={`save-button ${saved ? 'is-saved' : ''} ${className}`}
      aria-label={label}
      aria-pressed={saved === true ? 'true' : 'false'}
      title={saved ? 'Remove from Your Library' : 'Save to Your Library'}
      onClick={onClick}
    >
      <HeartIcon filled={saved === true} size={20} />
      {text && <span>{text}</span>}
    </button>
  );
}
