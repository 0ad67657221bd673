// Catches rendering errors in a page and says so in words instead of leaving a blank screen.
import { Component, type ComponentChildren } from 'preact';

interface Props {
  /** The page's path: navigating elsewhere clears the error. */
  resetKey: string;
  children: ComponentChildren;
}

interface State {
  error: unknown;
  key: string;
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  componentDidCatch(error: unknown): void {
    if (error && typeof (error as PromiseLike<unknown>).then === 'function') throw error;
    console.error(error);
    this.setState({ error });
  }

  render() {
    if (this.state.error) {
      return (
        <div class="page error-page" role="alert">
          <h1>Something went wrong</h1>
          <p>This page could not be shown. Try again, or go back to the home page.</p>
          <p class="button-row">
            <button type="button" class="button" onClick={() => this.setState({ error: null })}>Try again</button>
            <a class="button button-secondary" href="/">Home</a>
          </p>
        </div>
      );
    }
    return this.props.children;
  }
}
