import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini carries no messages of its own (that keeps it small, docs/adr/0005): English ones for
// the 400s and configuration errors the retrieval functions report. Imported for this effect by
// every module whose zod/mini errors reach a caller or a log.
z.config(en());
