// The dashboard's entry point: mounts the app on #app. (Its styles, web/styles.css, are built beside it.)
import { render } from 'preact';
import { App } from './app.tsx';

const root = document.getElementById('app');
if (root === null) throw new Error('the dashboard page has no #app element');
render(<App />, root);
