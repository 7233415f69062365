// The market settings: the platform preset with the paper's description of it, the mechanism,
// prices, fees, fixed-rate designations, the community pool, the tariff (read-only) and members'
// standing orders and preferences. Every edit is checked by the back end against the whole site
// file; Save writes the file only after the operator confirms.
import { observer } from 'mobx-react-lite';
import {
  auctionMechanisms,
  feePayers,
  mechanisms,
  sharingRules,
  type FeeSettings,
  type Mechanism,
} from '../../../../shared/market/clear-input.ts';
import type { PresetId, PriceRule } from '../../../../shared/market/index.ts';
import type { MemberCategory, SiteFile } from '../../../../shared/site/schema.ts';
import { MarketStore } from '../../stores/market-store.ts';
import { TariffEditor } from './TariffEditor.tsx';
import {
  Field,
  FieldNotes,
  IdListInput,
  NumberInput,
  PriceRuleInput,
  describeRule,
} from './settings-fields.tsx';

export const mechanismNotes: Record<Mechanism, string> = {
  uniform:
    'Uniform-price double auction: every trade at one clearing price, zonal prices where a branch is full.',
  'pay-as-bid': 'Pay-as-bid: the welfare-optimal trades, each at its buyer’s bid.',
  'fixed-rate': 'Designated loads are served first at a fixed rate; the rest clears by an auction.',
  'price-match': 'Buyers’ chosen producers, at the producer’s price; the community pool takes what is left.',
  community: 'A community pool at one price, shared among members short of energy by the sharing rule.',
  hybrid: 'Chosen producers first, then the community pool, then an auction for the rest.',
};

const categories: MemberCategory[] = ['household', 'business', 'essential', 'community'];
const intervalChoices = [5, 15, 30, 60] as const;

const feeFields: Array<{
  key: Exclude<keyof FeeSettings, 'payer'>;
  label: string;
  unit: (cur: string) => string;
}> = [
  { key: 'networkPerKWh', label: 'Network use', unit: (c) => `${c}/kWh` },
  { key: 'networkPerKWhPerKm', label: 'Network use by distance', unit: (c) => `${c}/kWh per km` },
  { key: 'communityPerKWh', label: 'Community fee per kWh', unit: (c) => `${c}/kWh` },
  { key: 'communityPerMonth', label: 'Community fee per month', unit: (c) => `${c} per member per month` },
  {
    key: 'dsoShare',
    label: 'Distribution operator’s share',
    unit: () => 'fraction of each trade’s value, 0–1',
  },
];

type Json = Record<string, unknown>;

/** Problems of what this panel edits; others are the site file's own and are listed apart. */
const shownHere = (path: string) =>
  path.startsWith('market.') || path.startsWith('tariff.') || path === 'tariff';

export const SettingsPanel = observer(function SettingsPanel({
  store,
  site,
}: {
  store: MarketStore;
  site: SiteFile;
}) {
  const draft = store.draft;
  const saved = store.saved;
  const preset = store.draftPreset;
  if (!draft || !saved || !preset) return <p className="muted">Loading the market settings…</p>;
  const cur = saved.currency;
  const mechanism = (draft.mechanism ?? preset.mechanism) as Mechanism;
  const at = (path: string) => store.problemsAt(`market.${path}`);
  const warn = (path: string) => store.warningsAt(`market.${path}`);
  const edit = (change: (d: Json) => void) => store.edit((d) => change(d as unknown as Json));
  const setIn = (path: string[], value: unknown) =>
    edit((d) => {
      let node = d;
      for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Json;
      node[path.at(-1)!] = value;
    });
  const block = (key: string) => (draft as unknown as Json)[key] as Json | undefined;
  const fees = block('fees') ?? {};
  const fixedRate = block('fixedRate') ?? {};
  const community = block('community') ?? {};
  const pricing = block('pricing') ?? {};
  const memberTerms = (block('members') ?? {}) as Record<string, Json>;
  const usesPreferences = mechanism === 'price-match' || mechanism === 'hybrid';
  const usesPool = mechanism === 'community' || mechanism === 'hybrid' || mechanism === 'price-match';
  const otherProblems = (store.check?.problems ?? []).filter((p) => !shownHere(p.path));

  return (
    <div className="market-settings" data-testid="market-settings">
      <section>
        <h2>Preset</h2>
        <Field label="Platform" problems={at('preset')}>
          <select
            value={draft.preset}
            data-testid="market-preset"
            onChange={(e) => store.setPreset(e.target.value as PresetId)}
          >
            {store.presets.map((p) => (
              <option key={p.id} value={p.id}>
                {p.platform} ({p.country}, {p.since}) — {p.marketModel}
              </option>
            ))}
          </select>
        </Field>
        <blockquote className="preset-description" data-testid="preset-description">
          {preset.description}
        </blockquote>
        <p className="muted small">
          Shan et al. (2023), Table 2: {preset.marketModel}; price mechanism “{preset.priceMechanism}”. The
          preset clears by <b>{preset.mechanism}</b>; offers {describeRule(preset.pricing.offer, cur)}, bids{' '}
          {describeRule(preset.pricing.bid, cur)}
          {preset.pricing.producersSetPrices ? '; producers may set their own prices' : ''}; unmatched energy{' '}
          {preset.fallback === 'grid' ? 'goes to the grid' : 'stays in the community (no grid fallback)'}.
        </p>
      </section>

      <section>
        <h2>Mechanism and interval</h2>
        <div className="field-row">
          <Field label="Mechanism" problems={at('mechanism')}>
            <select
              value={(draft.mechanism as string | undefined) ?? ''}
              data-testid="market-mechanism"
              onChange={(e) => setIn(['mechanism'], e.target.value || undefined)}
            >
              <option value="">preset: {preset.mechanism}</option>
              {mechanisms.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Settlement interval" problems={at('intervalMinutes')}>
            <select
              value={draft.intervalMinutes}
              onChange={(e) => setIn(['intervalMinutes'], Number(e.target.value))}
            >
              {intervalChoices.map((m) => (
                <option key={m} value={m}>
                  {m} minutes
                </option>
              ))}
            </select>
          </Field>
        </div>
        <p className="muted small">{mechanismNotes[mechanism]}</p>
      </section>

      <section>
        <h2>Prices where members set none</h2>
        <div className="field-row">
          <Field label="Sellers’ offer" problems={at('pricing.offer')}>
            <PriceRuleInput
              value={pricing.offer as PriceRule | undefined}
              preset={preset.pricing.offer}
              currency={cur}
              onChange={(rule) => setIn(['pricing', 'offer'], rule)}
            />
          </Field>
          <Field label="Buyers’ bid" problems={at('pricing.bid')}>
            <PriceRuleInput
              value={pricing.bid as PriceRule | undefined}
              preset={preset.pricing.bid}
              currency={cur}
              onChange={(rule) => setIn(['pricing', 'bid'], rule)}
            />
          </Field>
        </div>
      </section>

      <section>
        <h2>Grid tariff (time of use)</h2>
        <TariffEditor store={store} currency={cur} timeZone={saved.timezone} />
      </section>

      <section>
        <h2>Fees</h2>
        <div className="field-grid">
          {feeFields.map((f) => (
            <Field key={f.key} label={f.label} hint={f.unit(cur)} problems={at(`fees.${f.key}`)}>
              <NumberInput
                value={fees[f.key]}
                placeholder={preset.fees[f.key] === undefined ? 'none' : `preset: ${preset.fees[f.key]}`}
                testId={`fee-${f.key}`}
                onChange={(v) => setIn(['fees', f.key], v)}
              />
            </Field>
          ))}
          <Field label="Per-kWh fees paid by" problems={at('fees.payer')}>
            <select
              value={(fees.payer as string | undefined) ?? ''}
              onChange={(e) => setIn(['fees', 'payer'], e.target.value || undefined)}
            >
              <option value="">preset: {preset.fees.payer ?? 'buyer'}</option>
              {feePayers.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
        </div>
      </section>

      {(mechanism === 'fixed-rate' || block('fixedRate')) && (
        <section>
          <h2>Fixed rate</h2>
          <FieldNotes
            problems={[]}
            warnings={warn('fixedRate').filter((w) => w.path === 'market.fixedRate')}
          />
          <div className="field-row">
            <Field label="Rate" problems={at('fixedRate.price')}>
              <PriceRuleInput
                value={fixedRate.price as PriceRule | undefined}
                preset={preset.fixedRate?.price}
                currency={cur}
                onChange={(rule) => setIn(['fixedRate', 'price'], rule)}
              />
            </Field>
            <Field label="The rest clears by" problems={at('fixedRate.rest')}>
              <select
                value={(fixedRate.rest as string | undefined) ?? ''}
                onChange={(e) => setIn(['fixedRate', 'rest'], e.target.value || undefined)}
              >
                <option value="">preset: {preset.fixedRate?.rest ?? 'uniform'}</option>
                {auctionMechanisms.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <Field label="Designated categories" problems={at('fixedRate.categories')}>
            <span className="checks">
              {categories.map((c) => {
                const chosen =
                  (fixedRate.categories as string[] | undefined) ?? preset.fixedRate?.categories ?? [];
                return (
                  <label key={c} className="check">
                    <input
                      type="checkbox"
                      checked={chosen.includes(c)}
                      onChange={(e) =>
                        setIn(
                          ['fixedRate', 'categories'],
                          e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c),
                        )
                      }
                    />
                    {c}
                  </label>
                );
              })}
            </span>
          </Field>
          <Field
            label="Designated members"
            hint="member ids, separated by commas"
            problems={at('fixedRate.members')}
          >
            <IdListInput
              value={fixedRate.members as string[] | undefined}
              placeholder="e.g. clinic, water-pump"
              onChange={(ids) => setIn(['fixedRate', 'members'], ids)}
            />
          </Field>
        </section>
      )}

      {(usesPool || block('community')) && (
        <section>
          <h2>Community pool</h2>
          <FieldNotes
            problems={[]}
            warnings={warn('community').filter((w) => w.path === 'market.community')}
          />
          <div className="field-row">
            <Field label="Pool price" problems={at('community.price')}>
              <PriceRuleInput
                value={community.price as PriceRule | undefined}
                preset={preset.community?.price}
                currency={cur}
                onChange={(rule) => setIn(['community', 'price'], rule)}
              />
            </Field>
            <Field label="Sharing rule" problems={at('community.sharing')}>
              <select
                value={(community.sharing as string | undefined) ?? ''}
                data-testid="market-sharing"
                onChange={(e) => setIn(['community', 'sharing'], e.target.value || undefined)}
              >
                <option value="">preset: {preset.community?.sharing ?? 'pro-rata'}</option>
                {sharingRules.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </section>
      )}

      <section>
        <h2>Members’ standing orders and preferences</h2>
        <p className="muted small">
          Offers are the least a producer sells for
          {preset.pricing.producersSetPrices
            ? ''
            : ' (this preset sets producers’ prices itself, so they are ignored)'}
          ; bids the most a member pays. Preferred producers (up to ten, best first) are used by price-match
          and hybrid
          {usesPreferences ? '.' : `; this market clears by ${mechanism}.`}
        </p>
        <div className="members-scroll">
          <table className="table member-terms">
            <thead>
              <tr>
                <th>Member</th>
                <th className="num">PV (kWp)</th>
                <th>Offer ({cur}/kWh)</th>
                <th>Bid ({cur}/kWh)</th>
                <th>Preferred producers</th>
              </tr>
            </thead>
            <tbody>
              {site.members.map((m) => {
                const terms = memberTerms[m.id] ?? {};
                const path = `members.${m.id}`;
                const problems = at(path);
                const warnings = warn(path);
                const preferences = (terms.preferences as Json | undefined) ?? {};
                return (
                  <tr key={m.id} className={problems.length ? 'invalid' : ''}>
                    <td>
                      {m.name} <span className="muted small mono">{m.id}</span>
                      <FieldNotes problems={problems} warnings={warnings} />
                    </td>
                    <td className="num">{m.pvKWp || ''}</td>
                    <td>
                      <NumberInput
                        value={terms.offerPricePerKWh}
                        placeholder={m.pvKWp > 0 ? 'preset' : ''}
                        testId={`offer-${m.id}`}
                        onChange={(v) => setIn(['members', m.id, 'offerPricePerKWh'], v)}
                      />
                    </td>
                    <td>
                      <NumberInput
                        value={terms.bidPricePerKWh}
                        placeholder="preset"
                        testId={`bid-${m.id}`}
                        onChange={(v) => setIn(['members', m.id, 'bidPricePerKWh'], v)}
                      />
                    </td>
                    <td>
                      <IdListInput
                        value={preferences.producers as string[] | undefined}
                        testId={`producers-${m.id}`}
                        onChange={(ids) => setIn(['members', m.id, 'preferences', 'producers'], ids)}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="settings-actions">
        {otherProblems.length > 0 && (
          <div className="problems">
            <b>The site file has other problems:</b>
            {otherProblems.map((p) => (
              <div key={`${p.path}${p.message}`} className="alarm small mono">
                {p.path || '(document)'}: {p.message}
              </div>
            ))}
          </div>
        )}
        <ValidationSummary store={store} />
        {saved.readOnly && <p className="warning small">{saved.readOnly}</p>}
        {store.confirming ? (
          <div className="confirm" role="alertdialog" aria-label="Confirm saving the market settings">
            <p>
              Write {store.tariffDirty ? 'these market settings and tariff' : 'these market settings'} to{' '}
              <span className="mono">{saved.file}</span>? The current file is kept as{' '}
              <span className="mono">{saved.file}.bak</span>. The preview clears by them at once; settlement
              uses them from the next interval (the ledger records the new settings first); a new interval
              length takes effect when the console restarts.
            </p>
            <button className="primary" data-testid="market-save-confirm" onClick={() => void store.save()}>
              Write the file
            </button>
            <button onClick={() => store.cancelSave()}>Cancel</button>
          </div>
        ) : (
          <div className="buttons">
            <button
              className="primary"
              disabled={!store.canSave}
              data-testid="market-save"
              onClick={() => store.requestSave()}
            >
              {store.saving ? 'Saving…' : 'Save…'}
            </button>
            <button disabled={!store.dirty} onClick={() => store.discard()}>
              Discard changes
            </button>
          </div>
        )}
        {store.saveMessage && <p className="ok small">{store.saveMessage}</p>}
      </section>
    </div>
  );
});

const ValidationSummary = observer(function ValidationSummary({ store }: { store: MarketStore }) {
  if (!store.dirty) return <p className="muted small">No changes.</p>;
  if (store.checkError && !store.checking)
    return <p className="alarm small">The settings could not be checked: {store.checkError}</p>;
  if (store.checking || !store.check) return <p className="muted small">Checking the settings…</p>;
  const { problems, warnings } = store.check;
  return (
    <div className="validation" data-testid="market-validation">
      {problems.length === 0 ? (
        <p className="ok small">Valid: the site file would load with these settings.</p>
      ) : (
        <p className="alarm small">
          {problems.length} problem{problems.length === 1 ? '' : 's'} to fix before saving:
        </p>
      )}
      {problems
        .filter((p) => shownHere(p.path))
        .map((p) => (
          <div key={`p${p.path}${p.message}`} className="alarm small mono">
            {p.path}: {p.message}
          </div>
        ))}
      {warnings.map((p) => (
        <div key={`w${p.path}${p.message}`} className="warning small mono">
          {p.path}: {p.message}
        </div>
      ))}
    </div>
  );
});
