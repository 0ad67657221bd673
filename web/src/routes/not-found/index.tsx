import { useTitle } from '../../app/useTitle';

export default function NotFound() {
  useTitle('Not found');
  return (
    <div class="page">
      <h1>Page not found</h1>
      <p class="muted">There is nothing at this address.</p>
      <p><a class="button" href="/">Go home</a></p>
    </div>
  );
}
