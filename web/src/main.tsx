import { render } from 'preact';
import { App } from './app/App';
import './styles/theme.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/pages.css';
import './styles/playlists.css';

render(<App />, document.getElementById('app')!);
