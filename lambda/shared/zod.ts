import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini carries no messages of its own (that keeps it small, docs/adr/0004); the retrieval
// functions report English ones in their 400s and configuration errors. Import `z` from here.
z.config(en());

export { z };
