import t from 'tap';
import { expressAcceptance } from './e2e-express';

// Issue acceptance on sqlite3: see e2e-express.ts. Build first (`npm run build`).
// Five real app processes per driver; on a loaded machine that exceeds tap's default per-file timeout.
t.setTimeout(300_000);
expressAcceptance(t, 'sqlite3');
