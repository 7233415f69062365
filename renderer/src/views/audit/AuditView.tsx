// The audit trail: who did what, when, how they reached the console and what came of it,
// refused and failed attempts included. Identity is the session's, as recorded by the back end.
import { observer } from 'mobx-react-lite';
import { useEffect } from 'react';
import { auditResults } from '../../../../shared/api/audit-api.ts';
import { useStores } from '../../stores/context.tsx';

const actionKinds = ['', 'control/', 'field/', 'auth/', 'ws/', 'market/', 'settlement/', 'users/', 'cli/'];

export const AuditView = observer(function AuditView() {
  const { audit, site } = useStores();
  useEffect(() => {
    void audit.load();
  }, [audit]);
  const timeZone = site.site?.site.timezone;
  const time = new Intl.DateTimeFormat(undefined, {
    dateStyle: 'short',
    timeStyle: 'medium',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  });
  return (
    <section className="audit-view">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void audit.load();
        }}
      >
        <label>
          User
          <input value={audit.filter.user} onChange={(e) => audit.setFilter({ user: e.target.value })} />
        </label>
        <label>
          Kind
          <select value={audit.filter.action} onChange={(e) => audit.setFilter({ action: e.target.value })}>
            {actionKinds.map((k) => (
              <option key={k} value={k}>
                {k === '' ? 'all' : k.replace('/', '')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select
            value={audit.filter.result}
            onChange={(e) =>
              audit.setFilter({ result: e.target.value as (typeof auditResults)[number] | '' })
            }
          >
            <option value="">all</option>
            {auditResults.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={audit.loading}>
          {audit.loading ? 'Loading…' : 'Show'}
        </button>
        <span className="muted">
          {audit.records.length} records, newest first · export: commonwatt audit --data DIR --csv
        </span>
      </form>
      {audit.error && <p className="banner alarm">{audit.error}</p>}
      <table className="audit-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>User</th>
            <th>Via</th>
            <th>Action</th>
            <th>What</th>
            <th>Result</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {audit.records.map((r) => (
            <tr key={r.id} className={r.result === 'ok' ? '' : `result-${r.result}`}>
              <td className="mono">{r.id}</td>
              <td className="mono">{time.format(r.atMs)}</td>
              <td>{r.user ? `${r.user} (${r.role})` : '—'}</td>
              <td title={r.peer}>{r.transport}</td>
              <td className="mono">{r.action}</td>
              <td>{r.what}</td>
              <td>{r.result}</td>
              <td>{r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
});
