import t from 'tap';
import { expressAcceptance } from './e2e-express';

// Issue acceptance on better-sqlite3: see e2e-express.ts. Build first (`npm run build`).
expressAcceptance(t, 'better-sqlite3');
