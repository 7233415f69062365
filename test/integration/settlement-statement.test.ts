// `commonwatt statement` from a real ledger: JSON with the same figures the console shows, a
// printable HTML document that fetches nothing, and a PDF that a PDF library reads back; each
// carries the ledger key's fingerprint and the signed head, which an auditor checks with nothing
// but Node's crypto. A ledger that fails verification gets no statement, from the CLI or the API.
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthRange } from '../../shared/settlement/settlement-period.ts';
import type { MemberStatement } from '../../shared/settlement/statement.ts';
import { createHeadlessSettlement } from '../../electron/market/headless-settlement.ts';
import { kpisOver, memberStatement } from '../../electron/market/ledger-queries.ts';
import { IntervalSettler } from '../../electron/market/interval-settler.ts';
import { memberTotals, MemberTotalsCache, projectedKpis } from '../../electron/market/ledger-projection.ts';
import { Ledger } from '../../electron/market/ledger.ts';
import { LedgerVerification } from '../../electron/market/ledger-verification.ts';
import { createSettlementPart } from '../../electron/market/settlement-part.ts';
import type { ConsoleContext } from '../../electron/platform/console-part.ts';
import { recomputeAfterEdit } from '../fixtures/ledger-tamper.ts';
import { buildStatement } from '../../electron/market/statement-build.ts';
import { StatementClient } from '../../electron/market/statement-client.ts';
import { runCli } from '../fixtures/cli.ts';
import { demoSite } from '../fixtures/demo-site.ts';
import { physicsIntervals } from '../fixtures/physics-intervals.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'commonwatt-statement-'));
const data = path.join(tmp, 'data');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  const site = demoSite();
  const settlement = createHeadlessSettlement(data, site);
  // 29 June to 2 July: two months, so a statement must keep to its own.
  for (const e of physicsIntervals(site, {
    startMs: Date.parse('2026-06-28T23:00:00Z'),
    intervals: 4 * 96,
    stepSeconds: 30,
  }))
    settlement.settle(e);
  settlement.close();
});

describe('commonwatt statement', () => {
  it('writes the statement as JSON, identical to the one made in process', async () => {
    const r = await runCli([
      'statement',
      '--data',
      data,
      '--member',
      'h07',
      '--month',
      '2026-06',
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as MemberStatement;
    const ledger = Ledger.open(data, { mustExist: true, readOnly: true });
    const local = memberStatement(ledger, 'h07', '2026-06');
    ledger.close();
    expect({ ...s, attestation: null }).toEqual(JSON.parse(JSON.stringify(local)));
    expect(s.intervals.settled).toBe(2 * 96);
    expect(s.daily.map((d) => d.date)).toEqual(['2026-06-29', '2026-06-30']);
    expect(s.energy.consumedKWh).toBeGreaterThan(1);
    const sources =
      s.energy.fromOwnStorageKWh +
      s.energy.fromPoolKWh +
      s.energy.fromNeighboursKWh +
      s.energy.fromGridKWh +
      s.energy.unservedKWh;
    // Net metering per interval: what the member drew beyond its own export came from these sources.
    expect(sources).toBeLessThanOrEqual(s.energy.consumedKWh + 1e-6);
    expect(sources).toBeGreaterThan(0);
    expect(s.money.savings).toBeCloseTo(s.money.gridOnlyCost - s.money.total, 9);
  });

  it('prints a self-contained HTML statement', async () => {
    const r = await runCli(['statement', '--data', data, '--member', 'clinic', '--month', '2026-07']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(r.stdout).toContain('Health clinic (clinic, essential)');
    expect(r.stdout).toContain('July 2026');
    expect(r.stdout).toContain('192 of 2976 intervals settled');
    expect(r.stdout).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it('writes a PDF that reads back', async () => {
    const out = path.join(tmp, 'clinic.pdf');
    const r = await runCli([
      'statement',
      '--data',
      data,
      '--member',
      'clinic',
      '--month',
      '2026-06',
      '--format',
      'pdf',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(out);
    const bytes = fs.readFileSync(out);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(pdf.getTitle()).toContain('2026-06');
    // The same ledger gives the same bytes.
    const again = path.join(tmp, 'clinic-again.pdf');
    await runCli([
      'statement',
      '--data',
      data,
      '--member',
      'clinic',
      '--month',
      '2026-06',
      '--format',
      'pdf',
      '--out',
      again,
    ]);
    expect(fs.readFileSync(again).equals(bytes)).toBe(true);
  });

  it('names an unknown member and a malformed month in one line', async () => {
    const unknown = await runCli(['statement', '--data', data, '--member', 'h99', '--month', '2026-06']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/member 'h99'/);
    const month = await runCli(['statement', '--data', data, '--member', 'h01', '--month', 'June']);
    expect(month.code).toBe(2);
    expect(month.stderr).toMatch(/--month YYYY-MM/);
  });

  it('keeps the SQL projection the views read equal to the KPIs made from the entries', () => {
    const ledger = Ledger.open(data, { mustExist: true, readOnly: true });
    const from = Date.parse('2026-06-28T23:00:00Z');
    const to = from + 4 * 86_400_000;
    const fromEntries = kpisOver(ledger, from, to);
    const fromSql = projectedKpis(ledger, from, to);
    ledger.close();
    expect(fromSql.intervals).toBe(384);
    for (const key of [
      'demandKWh',
      'localTradeKWh',
      'poolServedKWh',
      'gridImportKWh',
      'welfare',
      'keptInCommunity',
      'co2AvoidedKg',
    ] as const)
      expect(fromSql[key]).toBeCloseTo(fromEntries[key], 6);
    expect(fromSql.selfSufficiency!).toBeGreaterThan(0);
    expect(fromSql.selfSufficiency!).toBeLessThanOrEqual(1);
    expect(
      Math.abs(
        fromSql.money.membersNetCost -
          (fromSql.money.grid + fromSql.money.community + fromSql.money.distributionOperator),
      ),
    ).toBeLessThan(1e-6);
  });
});

describe('statements on a worker thread (the console)', () => {
  it('builds on the worker the very statement, HTML and PDF made in process', async () => {
    const ledger = Ledger.open(data, { mustExist: true, readOnly: true });
    const client = new StatementClient(
      data,
      () => ledger,
      () => {},
    );
    try {
      const attestation = new LedgerVerification(ledger).attestation();
      const onWorker = await client.build('h07', '2026-06', { html: true, pdf: true }, attestation);
      expect(client.mode).toBe('worker');
      expect(client.lastWorkerMs).not.toBeNull();
      const local = await buildStatement(ledger, 'h07', '2026-06', { html: true, pdf: true }, attestation);
      expect(onWorker.statement).toEqual(local.statement);
      expect(onWorker.html).toBe(local.html);
      expect(onWorker.pdfBase64).toBe(local.pdfBase64);
      const jsonOnly = await client.build('h07', '2026-07', {}, attestation);
      expect(jsonOnly.html).toBeNull();
      expect(jsonOnly.pdfBase64).toBeNull();
      expect(jsonOnly.statement.month).toBe('2026-07');
    } finally {
      await client.close();
      ledger.close();
    }
  });

  it("passes the worker's refusal on and keeps the worker", async () => {
    const ledger = Ledger.open(data, { mustExist: true, readOnly: true });
    const client = new StatementClient(
      data,
      () => ledger,
      () => {},
    );
    try {
      const attestation = new LedgerVerification(ledger).attestation();
      await expect(client.build('h99', '2026-06', {}, attestation)).rejects.toThrow(/member 'h99'/);
      expect(client.mode).toBe('worker');
      expect((await client.build('h01', '2026-06', {}, attestation)).statement.member.id).toBe('h01');
    } finally {
      await client.close();
      ledger.close();
    }
  });

  it('reads what the writer books after the worker opened the ledger', async () => {
    const site = demoSite();
    const dir = path.join(tmp, 'growing');
    const settlement = createHeadlessSettlement(dir, site);
    const days = [
      ...physicsIntervals(site, {
        startMs: Date.parse('2026-06-09T23:00:00Z'),
        intervals: 2 * 96,
        stepSeconds: 60,
      }),
    ];
    for (const e of days.slice(0, 96)) settlement.settle(e);
    const logged: string[] = [];
    const client = new StatementClient(
      dir,
      () => Ledger.open(dir, { readOnly: true }),
      (m) => logged.push(m),
    );
    try {
      const attestation = new LedgerVerification(settlement.settler.ledger).attestation();
      expect((await client.build('h07', '2026-06', {}, attestation)).statement.intervals.settled).toBe(96);
      for (const e of days.slice(96)) settlement.settle(e);
      expect((await client.build('h07', '2026-06', {}, attestation)).statement.intervals.settled).toBe(192);
      expect(client.mode).toBe('worker');
      expect(logged).toEqual([]);
    } finally {
      await client.close();
      settlement.close();
    }
  });

  it('builds in process when the worker is off', async () => {
    const ledger = Ledger.open(data, { mustExist: true, readOnly: true });
    const client = new StatementClient(
      data,
      () => ledger,
      () => {},
      false,
    );
    try {
      const attestation = new LedgerVerification(ledger).attestation();
      const built = await client.build('clinic', '2026-06', { html: true }, attestation);
      expect(client.mode).toBe('inline');
      expect(client.lastWorkerMs).toBeNull();
      expect(built.statement).toEqual({ ...memberStatement(ledger, 'clinic', '2026-06'), attestation });
    } finally {
      await client.close();
      ledger.close();
    }
  });
});

describe("the members view's cached day totals", () => {
  it('equal the sums over the whole period, after new intervals and after an adjustment', () => {
    const site = demoSite();
    const dir = path.join(tmp, 'totals');
    const ledger = Ledger.open(dir);
    const settler = new IntervalSettler(ledger, site);
    const days = [
      ...physicsIntervals(site, {
        startMs: Date.parse('2026-06-02T22:00:00Z'),
        intervals: 4 * 96,
        stepSeconds: 60,
      }),
    ];
    const cache = new MemberTotalsCache(ledger);
    // A local month, not aligned to UTC days, so partial days at both ends are summed directly.
    const { fromMs, toMs } = monthRange('2026-06', site.site.timezone);
    const expectSame = () => {
      const cached = cache.totals(fromMs, toMs);
      const direct = memberTotals(ledger, fromMs, toMs);
      expect(cached.map((r) => r.member)).toEqual(direct.map((r) => r.member));
      cached.forEach((row, i) => {
        for (const [key, value] of Object.entries(direct[i]!))
          if (typeof value === 'number') expect(row[key as keyof typeof row]).toBeCloseTo(value, 9);
      });
      return cached;
    };
    try {
      for (const e of days.slice(0, 2 * 96)) settler.settle(e, { bookedMs: e.startMs + 900_000 });
      expect(expectSame()[0]!.intervals).toBe(2 * 96);
      for (const e of days.slice(2 * 96)) settler.settle(e, { bookedMs: e.startMs + 900_000 });
      expect(expectSame()[0]!.intervals).toBe(4 * 96);
      // A re-settlement of a day already cached, with h07's import doubled.
      const target = structuredClone(days[100]!);
      const h07 = target.members.find((m) => m.member === 'h07')!;
      h07.importKWh = h07.importKWh * 2 + 1;
      const before = cache.totals(fromMs, toMs).find((r) => r.member === 'h07')!.importKWh;
      expect(settler.resettle(target, { reason: 'meter read again', bookedMs: Date.now() }).status).toBe(
        'adjusted',
      );
      const after = expectSame().find((r) => r.member === 'h07')!;
      expect(after.importKWh).toBeGreaterThan(before);
      expect(after.intervals).toBe(4 * 96);
    } finally {
      ledger.close();
    }
  });
});

describe('statements and the ledger key', () => {
  it('carry the fingerprint and a head signature that checks with Node crypto alone', async () => {
    const r = await runCli([
      'statement',
      '--data',
      data,
      '--member',
      'h07',
      '--month',
      '2026-06',
      '--format',
      'json',
    ]);
    const s = JSON.parse(r.stdout) as MemberStatement;
    const pub = JSON.parse(fs.readFileSync(path.join(data, 'ledger.pub'), 'utf8'));
    const head = JSON.parse(fs.readFileSync(path.join(data, 'ledger.head'), 'utf8'));
    const a = s.attestation!;
    expect(a.fingerprint).toBe(pub.fingerprint);
    expect(a.headSeq).toBe(head.seq);
    // The auditor's check, as the README describes it: the documented text, the raw public key.
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(a.publicKey, 'base64').toString('base64url') },
      format: 'jwk',
    });
    const text = `commonwatt.ledger-head/1\n${a.ledgerId}\n${a.headSeq}\n${a.headHash}\n${a.durability}`;
    expect(verify(null, Buffer.from(text), key, Buffer.from(a.signature, 'base64'))).toBe(true);
    expect(
      verify(null, Buffer.from(text.replace(/\n(\d+)\n/, '\n1\n')), key, Buffer.from(a.signature, 'base64')),
    ).toBe(false);
    const html = await runCli(['statement', '--data', data, '--member', 'h07', '--month', '2026-06']);
    expect(html.stdout).toContain(a.fingerprint);
    expect(html.stdout).toContain(a.signature);
  });

  describe('on an edited ledger', () => {
    const edited = path.join(tmp, 'edited');
    beforeAll(() => {
      fs.cpSync(data, edited, { recursive: true });
      // h07's bill in the first interval of 30 June (entry 98: the site snapshot, then 96 intervals
      // of 29 June, then this one) lowered by 10 and every hash after it recomputed.
      recomputeAfterEdit(edited, 98, (p) => {
        const t = p.settlement.members;
        const row = t.rows.find((x: unknown[]) => x[0] === 'h07');
        row[t.columns.indexOf('netCost')] -= 10;
      });
    });

    it('the CLI refuses the statement and names the entry', async () => {
      const r = await runCli(['statement', '--data', edited, '--member', 'h07', '--month', '2026-06']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /statement refused: the ledger failed verification at entry 98 .*h07's bill does not add up/,
      );
    });

    it('the API refuses the statement, and members and KPIs carry the failure', async () => {
      const alarms: string[] = [];
      const ctx = {
        sites: { current: () => demoSite(), subscribe: () => () => {} },
        dataDir: edited,
        snapshot: () => ({ totals: { socFraction: null } }),
        emit: (event: string, payload: { message?: string }) => {
          if (event === 'settlement/alarm') alarms.push(payload.message ?? '');
        },
        log: () => {},
        now: () => Date.parse('2026-07-03T00:00:00Z'),
      } as unknown as ConsoleContext;
      const part = createSettlementPart(ctx, { statementWorker: false });
      try {
        await part.start?.();
        const call = part.handlers as unknown as Record<string, (request: unknown) => unknown>;
        await expect(
          Promise.resolve().then(() => call['settlement/statement']!({ member: 'h07', month: '2026-06' })),
        ).rejects.toThrow(/statement refused: the ledger failed verification at entry 98/);
        const range = {
          fromMs: Date.parse('2026-06-28T23:00:00Z'),
          toMs: Date.parse('2026-07-02T23:00:00Z'),
        };
        const members = (await call['settlement/members']!(range)) as {
          verification: { ok: boolean; seq: number };
        };
        expect(members.verification).toMatchObject({ ok: false, seq: 98 });
        const kpis = (await call['settlement/kpis']!(range)) as {
          verification: { ok: boolean; seq: number };
        };
        expect(kpis.verification).toMatchObject({ ok: false, seq: 98 });
        expect(alarms.join('\n')).toMatch(/failed verification at entry 98/);
        // The writer does not sign over it either.
        expect(part.service.verify()).toMatchObject({ ok: false, seq: 98 });
      } finally {
        await part.stop?.();
      }
    });
  });
});
