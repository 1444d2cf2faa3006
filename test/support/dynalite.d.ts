/** The part of dynalite's API the tests use (the package ships no types). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds CreateTable takes before the table is ACTIVE. */
    readonly createTableMs?: number;
    /** LevelDB directory; in memory when omitted. */
    readonly path?: string;
  }

  /** An HTTP server that speaks the DynamoDB API. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
