// `commonwatt users add|list|passwd|remove --data DIR`: the console's users, for whoever owns the
// data directory (the OS decides that: the directory is 0700). Works beside a running console,
// which reads the users file again at its next call. Each change is audited as the CLI.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isRole, roles } from '../../shared/api/access.ts';
import { defaultDataDir, secureDataDir } from '../app/data-dir.ts';
import { AuditStore } from '../audit/audit-store.ts';
import { AuthService } from '../auth/auth-service.ts';
import { hashPassword, passwordWeakness } from '../auth/passwords.ts';
import { CliUsageError } from './cli-error.ts';
import { readPassword } from './password-prompt.ts';

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        role: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (extra.length > 0) throw new CliUsageError(`unexpected '${extra.join(' ')}'`);
  const dataDir = path.resolve(values.data ?? defaultDataDir());
  secureDataDir(dataDir);
  const audit = new AuditStore(dataDir);
  const auth = new AuthService({ dataDir, audit });
  const record = (what: string, result: 'ok' | 'refused', reason: string) =>
    audit.record({
      atMs: Date.now(),
      actor: { user: null, role: null, transport: 'cli', peer: `local (${os.userInfo().username})` },
      action: `users/${action}`,
      what,
      result,
      reason,
    });
  try {
    switch (action) {
      case 'list': {
        const users = auth.users.list();
        if (values.json)
          console.log(
            JSON.stringify(
              users.map(({ name: n, role, password, createdMs }) => ({
                name: n,
                role,
                hasPassword: password !== null,
                created: new Date(createdMs).toISOString(),
              })),
              null,
              2,
            ),
          );
        else if (users.length === 0)
          console.log(`no users yet in ${dataDir}: \`commonwatt serve\` creates the first admin`);
        else
          for (const u of users)
            console.log(
              `${u.name.padEnd(20)} ${u.role.padEnd(10)} ${u.password ? 'password set' : 'no password (sign-in link only)'}`,
            );
        return 0;
      }
      case 'add': {
        if (!name) throw new CliUsageError('name the user: users add NAME --role ROLE');
        if (!isRole(values.role)) throw new CliUsageError(`--role is one of ${roles.join(', ')}`);
        const password = await readPassword(`password for ${name}: `, values['password-stdin'] ?? false);
        const weak = passwordWeakness(name, password);
        if (weak) {
          record(`add user ${name} as ${values.role}`, 'refused', weak);
          console.error(`commonwatt users: ${weak}`);
          return 1;
        }
        auth.users.add({ name, role: values.role, password: await hashPassword(password) }, Date.now());
        record(`add user ${name} as ${values.role}`, 'ok', '');
        console.log(`added ${name} (${values.role})`);
        return 0;
      }
      case 'passwd': {
        if (!name) throw new CliUsageError('name the user: users passwd NAME');
        const password = await readPassword(`new password for ${name}: `, values['password-stdin'] ?? false);
        const problem = await auth.setPassword(name, password);
        record(`set the password of ${name}`, problem ? 'refused' : 'ok', problem ?? '');
        if (problem) {
          console.error(`commonwatt users: ${problem}`);
          return 1;
        }
        console.log(`password of ${name} set`);
        return 0;
      }
      case 'remove': {
        if (!name) throw new CliUsageError('name the user: users remove NAME');
        try {
          auth.users.remove(name);
        } catch (error) {
          record(`remove user ${name}`, 'refused', (error as Error).message);
          throw error;
        }
        record(`remove user ${name}`, 'ok', '');
        console.log(`removed ${name}; their sessions end at their next call`);
        return 0;
      }
      default:
        throw new CliUsageError('the actions are add, list, passwd and remove');
    }
  } finally {
    audit.close();
  }
}
