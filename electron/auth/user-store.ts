// The console's users and their roles, in DIR/users.json (0600). Read again whenever the file
// changed on disk, so `commonwatt users …` run beside a live console takes effect at the next
// call (a removed user's sessions stop working, a changed role applies at once). Written to a
// temporary file, synced and renamed, so a crash leaves the old list or the new one.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { roles, type Role } from '../../shared/api/access.ts';
import type { PasswordHash } from './passwords.ts';

export const USERS_FILE = 'users.json';
const RECHECK_MS = 250;

const passwordHashSchema = z.strictObject({
  algorithm: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(2 ** 10)
    .max(2 ** 22),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  saltB64: z.string().min(8).max(200),
  hashB64: z.string().min(8).max(200),
});

/** A user name: letters, digits and . _ - (it appears in the audit and on statements). */
export const userNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'a user name is 1–64 letters, digits, dots, dashes or underscores',
  );

const userSchema = z.strictObject({
  name: userNameSchema,
  role: z.enum(roles),
  password: passwordHashSchema.nullable(),
  createdMs: z.number().int().nonnegative(),
  /** Consecutive failed sign-ins since the last good one. */
  failures: z.number().int().nonnegative(),
  lockedUntilMs: z.number().int().nonnegative().nullable(),
});
export type StoredUser = z.infer<typeof userSchema>;

const fileSchema = z.strictObject({ version: z.literal(1), users: z.array(userSchema).max(10_000) });

export class UserStoreError extends Error {
  override name = 'UserStoreError';
}

export class UserStore {
  private readonly file: string;
  private cache: { key: string; users: StoredUser[]; checkedMs: number } | null = null;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, USERS_FILE);
  }

  list(): StoredUser[] {
    // Every call reads its user's role from here: the file is looked at again at most every
    // 250 ms, so a role changed by `commonwatt users` applies within that, at no cost per call.
    const nowMs = performance.now();
    if (this.cache && nowMs - this.cache.checkedMs < RECHECK_MS) return this.cache.users;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const key = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (this.cache?.key === key) {
      this.cache.checkedMs = nowMs;
      return this.cache.users;
    }
    if (stat.size > 16 << 20)
      throw new UserStoreError(`${this.file} is larger than 16 MiB: not a users file`);
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch (error) {
      throw new UserStoreError(`${this.file} is not JSON: ${(error as Error).message}`);
    }
    if (!parsed.success)
      throw new UserStoreError(`${this.file} is not a users file: ${parsed.error.issues[0]?.message ?? ''}`);
    this.cache = { key, users: parsed.data.users, checkedMs: nowMs };
    return parsed.data.users;
  }

  get(name: string): StoredUser | null {
    return this.list().find((u) => u.name === name) ?? null;
  }

  add(user: { name: string; role: Role; password: PasswordHash | null }, nowMs: number): StoredUser {
    const name = userNameSchema.parse(user.name);
    if (this.get(name)) throw new UserStoreError(`a user '${name}' exists already`);
    const added: StoredUser = { ...user, name, createdMs: nowMs, failures: 0, lockedUntilMs: null };
    this.write([...this.list(), added]);
    return added;
  }

  update(name: string, change: (user: StoredUser) => StoredUser): StoredUser {
    const users = this.list();
    const index = users.findIndex((u) => u.name === name);
    if (index < 0) throw new UserStoreError(`no user '${name}'`);
    const next = [...users];
    next[index] = userSchema.parse(change(users[index]!));
    this.write(next);
    return next[index];
  }

  remove(name: string): void {
    const users = this.list();
    const user = users.find((u) => u.name === name);
    if (!user) throw new UserStoreError(`no user '${name}'`);
    if (user.role === 'admin' && users.filter((u) => u.role === 'admin').length === 1)
      throw new UserStoreError(`'${name}' is the last admin: add another admin first`);
    this.write(users.filter((u) => u.name !== name));
  }

  private write(users: StoredUser[]): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, `${JSON.stringify({ version: 1, users }, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.file);
    this.cache = null;
  }
}
