import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

/** A titled region of a page; its heading names it for assistive tech. */
export function Section({ title, action, children, class: className = '' }: {
  title: string; action?: ComponentChildren; children: ComponentChildren; class?: string;
}) {
  const id = useId();
  return (
    <section class={`section ${className}`} aria-labelledby={id}>
      <div class="section-head">
        <h2 id={id}>{title}</h2>
        {action}
      </div>
      {children}
    </section>
  );
}
