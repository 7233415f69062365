// No secret lives in the source: every token, session id and password salt is drawn per
// installation (and per start, for the CLI token), and the sources hold no literal that looks
// like one (the FUXA advisory CVE-2025-69971 was a JWT secret written in the code).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../../../electron/auth/auth-service.ts';
import { hashPassword } from '../../../../electron/auth/passwords.ts';
import { MemoryAuditTrail } from '../../../../electron/platform/audit-trail.ts';
import { repoRoot } from '../../../fixtures/paths.ts';

const dirs: string[] = [];
function installation(): AuthService {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-secrets-'));
  dirs.push(dir);
  return new AuthService({ dataDir: dir, audit: new MemoryAuditTrail() });
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|tsx|mjs|js)$/.test(e.name) ? [full] : [];
  });
}

describe('secrets', () => {
  it('draws a different CLI token, sign-in link and session id for each installation', () => {
    const a = installation();
    const b = installation();
    const tokenOf = (auth: AuthService) => {
      const file = auth.writeCliToken('admin');
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { token: string }).token;
    };
    a.firstRunLink();
    b.firstRunLink();
    const [ta, tb] = [tokenOf(a), tokenOf(b)];
    expect(ta).not.toBe(tb);
    expect(Buffer.from(ta, 'base64url')).toHaveLength(32);
    expect(a.issueLink('admin')).not.toBe(b.issueLink('admin'));
    const sa = a.sessions.create('admin', 'http', 'x', 0).id;
    const sb = b.sessions.create('admin', 'http', 'x', 0).id;
    expect(sa).not.toBe(sb);
    // A token written at one start does not open another start of the same installation.
    const again = tokenOf(a);
    expect(again).not.toBe(ta);
    expect(a.cliCaller(ta, 'local')).toBeNull();
    expect(a.cliCaller(again, 'local')).toMatchObject({ user: 'admin', transport: 'cli' });
  });

  it('salts every password hash afresh', async () => {
    const [x, y] = await Promise.all([
      hashPassword('same password here'),
      hashPassword('same password here'),
    ]);
    expect(x.saltB64).not.toBe(y.saltB64);
    expect(x.hashB64).not.toBe(y.hashB64);
  });

  it('has no secret-looking literal in the sources', () => {
    const suspicious = /(secret|token|password|jwt|api[_-]?key)\w*\s*[:=]\s*['"`][A-Za-z0-9+/=_-]{16,}['"`]/i;
    const found = ['electron', 'shared', 'renderer/src']
      .flatMap((d) => sources(path.join(repoRoot, d)))
      .filter((file) => suspicious.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(repoRoot, file));
    expect(found).toEqual([]);
  });
});
