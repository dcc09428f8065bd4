import type { WidgetProps } from '@rjsf/utils';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { usePickable } from '../../api/pickers';
import { buildPickerOptions, isPickerKind, PICKER_MANAGE_PATHS, PICKER_NOUNS, pickedId, type PickerKind } from '../../lib/pickerOptions';
import { can, teamIn } from '../../lib/permissions';
import { useSessionStore } from '../../stores/sessionStore';
import './PickerWidget.css';

/** What a form knows about where it is: the team whose objects pickers list, the flow being edited. */
export interface FormContext {
  teamId?: number | null;
  flowId?: number | null;
}

/**
 * rjsf's text widget, except for fields marked `x-baton-picker`: those are a select
 * of the team's credentials, knowledge bases or flows. Registered as TextWidget so
 * that it also reaches picker fields nested in arrays and $defs (an agent's flow tools).
 */
export function PickerAwareTextWidget(props: WidgetProps) {
  const kind = props.schema['x-baton-picker' as keyof typeof props.schema];
  if (isPickerKind(kind)) return <PickerWidget {...props} kind={kind} />;
  const { BaseInputTemplate } = props.registry.templates;
  return <BaseInputTemplate {...props} />;
}

function PickerWidget({ id, value, onChange, schema, disabled, readonly, registry, kind }: WidgetProps & { kind: PickerKind }) {
  const context = (registry.formContext ?? {}) as FormContext;
  const sessionTeam = useSessionStore((s) => s.teamId);
  const teamId = context.teamId ?? sessionTeam;
  const team = useSessionStore((s) => teamIn(s.me, teamId));
  // Only editors and owners use credentials: for others the server lists none.
  const hidden = kind === 'credential' && team !== null && !can(team, 'credentials.use');
  const { data, error, loading, reload } = usePickable(kind, hidden ? null : (teamId ?? null));
  const nullable = Boolean((schema as Record<string, unknown>)['x-baton-nullable']);
  const providersRaw = (schema as Record<string, unknown>)['x-baton-providers'];
  const options = buildPickerOptions(kind, data ?? [], {
    value,
    nullable,
    excludeFlowId: context.flowId ?? null,
    providers: Array.isArray(providersRaw) ? (providersRaw as string[]) : null,
    loaded: data !== undefined && !error && !hidden,
  });
  const current = pickedId(value);
  const chosen = options.find((o) => o.value === current);
  const noun = PICKER_NOUNS[kind];
  const refused = error instanceof ApiError && error.status === 403;
  return (
    <div className="picker" data-testid={`picker-${kind}`} data-picker={kind}>
      <div className="picker__row">
        <select
          id={id}
          className={`form-control picker__select${chosen?.missing ? ' picker__select--missing' : ''}`}
          value={current === null ? '' : String(current)}
          disabled={disabled || readonly || loading}
          onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
          data-testid={`picker-select-${kind}`}
        >
          {options.map((o) => (
            <option key={o.value ?? 'none'} value={o.value === null ? '' : String(o.value)} disabled={o.disabled}>
              {o.label}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button--small button--icon"
          onClick={reload}
          disabled={loading}
          title={`Reload the team's ${noun}s`}
          aria-label={`Reload the ${noun}s`}
        >
          ↻
        </button>
      </div>
      {loading && <p className="muted small">Loading {noun}s…</p>}
      {((error && refused) || hidden) && <p className="muted small">Only editors and owners see the team&apos;s {noun}s.</p>}
      {error && !refused && (
        <p className="error-detail" role="alert">
          The {noun}s could not be loaded: {error.message}
        </p>
      )}
      {chosen?.missing && !(kind === 'flow' && current === context.flowId) && (
        <p className="error-detail" data-testid={`picker-missing-${kind}`}>
          The {noun} #{current} is not available in this team (another team's, or deleted): choose one of its {noun}s.
        </p>
      )}
      {data && data.length === 0 && <p className="muted small">The team has no {noun}s yet.</p>}
      {!(readonly || disabled) && (
      <Link className="small" to={PICKER_MANAGE_PATHS[kind]} target="_blank" rel="noreferrer" data-testid={`picker-manage-${kind}`}>
        Manage {noun}s
      </Link>
      )}
    </div>
  );
}
