/** What every web module gets: the service's parts and the viewer guards. */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Calendar } from '../domain/index.js';
import type { ViewerGuards } from './viewer.js';

export interface WebContext {
  config: Config;
  db: Db;
  clock: Clock;
  /** The deployment's calendar: overdue and due-soon mean on the page what they mean to the sweep. */
  calendar: Calendar;
  guards: ViewerGuards;
  /** PUBLIC_URL (or the sandbox's own address): links and redirects are absolute under it. */
  publicUrl: string;
}
