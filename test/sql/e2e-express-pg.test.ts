import t from 'tap';
import { expressAcceptance } from './e2e-express';

// Issue acceptance on pg: see e2e-express.ts. Build first (`npm run build`).
expressAcceptance(t, 'pg');
