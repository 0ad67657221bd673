// The play queue; the player's QueueView draws it (with its own "Queue" heading).
import { QueueView } from '../../player';
import { useTitle } from '../../app/useTitle';

export default function Queue() {
  useTitle('Queue');
  return (
    <div class="page queue-page">
      <QueueView />
    </div>
  );
}
