// Shapes of the trigger URL and schedule endpoints (docs/api-shapes.md).

export interface TriggerUrl {
  id: number;
  flow: number;
  name: string;
  prefix: string;
  version: number | null;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  state: 'active' | 'revoked';
}

/** The answer to the POST that made it: the secret, shown this once. */
export interface NewTriggerUrl extends TriggerUrl {
  token: string;
  url: string;
}

export interface Schedule {
  id: number;
  flow: number;
  name: string;
  cron: string;
  timezone: string;
  inputs: Record<string, unknown>;
  version: number | null;
  enabled: boolean;
  next_fire_at: string | null;
  last_fired_at: string | null;
  last_run: string | null;
  last_error: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScheduleInput {
  name?: string;
  cron?: string;
  timezone?: string;
  inputs?: Record<string, unknown>;
  version?: number | null;
  enabled?: boolean;
}
