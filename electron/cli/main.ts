// The `commonwatt` command line: a table of verbs, each a thin module over the same services as
// the console. Verbs are loaded on demand so `--help` stays instant.
import { CliUsageError } from './cli-error.ts';

export interface Verb {
  summary: string;
  usage: string;
  load: () => Promise<{ run: (args: string[]) => Promise<number> }>;
}

export const verbs: Record<string, Verb> = {
  serve: {
    summary: 'serve the console to a browser (control-room screens, remote access)',
    usage:
      'commonwatt serve [--site FILE] [--data DIR] [--port N] [--host 127.0.0.1] [--tls-cert FILE --tls-key FILE] [--allow-host NAME] [--session-idle-minutes 30] [--recent-sign-in-minutes 15] [--cli-user NAME] [--no-sim]',
    load: () => import('./serve.ts'),
  },
  validate: {
    summary: 'check a site file and list every problem as json.path: message',
    usage: 'commonwatt validate FILE',
    load: () => import('./validate.ts'),
  },
  simulate: {
    summary: 'run the site simulator on loopback, or a scenario in accelerated time',
    usage:
      'commonwatt simulate [--site FILE] [--port-offset N] | simulate --scenario FILE [--site FILE] [--data DIR] [--sample-seconds N] [--json]',
    load: () => import('./simulate.ts'),
  },
  control: {
    summary: 'operator commands on a running console: island, reconnect, shed, restore, battery mode',
    usage:
      'commonwatt control status|island [--at ISO]|reconnect|shed TIER|restore TIER|battery-mode MODE [--setpoint KW]|cancel-schedule --port N --data DIR [--host H] [--yes] [--json]',
    load: () => import('./control.ts'),
  },
  scan: {
    summary: 'find every responding unit of a Modbus/TCP endpoint and its SunSpec models',
    usage: 'commonwatt scan --host H [--port P] [--units 1-247] [--json]',
    load: () => import('./scan.ts'),
  },
  read: {
    summary: 'read and decode the points of one unit, with units',
    usage: 'commonwatt read --host H --port P --unit U [--model ID] [--json]',
    load: () => import('./read.ts'),
  },
  export: {
    summary: 'export historian data as CSV or JSON',
    usage:
      'commonwatt export --data DIR --from ISO --to ISO [--member ID|--device ID] [--resolution raw|1m|15m|1h|1d] [--format csv|json]',
    load: () => import('./export.ts'),
  },
  db: {
    summary: 'check the historian database (integrity, schema, rollups)',
    usage: 'commonwatt db check --data DIR',
    load: () => import('./db.ts'),
  },
  clear: {
    summary: 'clear one market interval from an order file',
    usage: 'commonwatt clear FILE [--json]',
    load: () => import('./clear.ts'),
  },
  ledger: {
    summary: 'verify the hash-chained settlement ledger',
    usage: 'commonwatt ledger verify --data DIR [--fingerprint HEX] [--json]',
    load: () => import('./ledger.ts'),
  },
  users: {
    summary: 'add, list, remove users and set their passwords (roles: viewer, operator, technician, admin)',
    usage:
      'commonwatt users list|add NAME --role ROLE|passwd NAME|remove NAME --data DIR [--password-stdin] [--json]',
    load: () => import('./users.ts'),
  },
  audit: {
    summary: 'print or export the audit trail (who did what, refusals too), or verify its hash chain',
    usage:
      'commonwatt audit --data DIR [--from ISO] [--to ISO] [--user U] [--action A] [--result ok|refused|failed] [--json|--csv] [--verify]',
    load: () => import('./audit.ts'),
  },
  statement: {
    summary: "print or write a member's monthly statement",
    usage:
      'commonwatt statement --data DIR --member ID --month YYYY-MM [--format html|pdf|json] [--out FILE]',
    load: () => import('./statement.ts'),
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(verbs).map((name) => name.length));
  const lines = Object.entries(verbs).map(([name, verb]) => `  ${name.padEnd(width)}  ${verb.summary}`);
  return [
    'commonwatt — control console for community microgrids',
    '',
    'usage: commonwatt <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `commonwatt <command> --help` for the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(helpText());
    return 0;
  }
  if (name === '--version') {
    console.log('commonwatt 0.1.0');
    return 0;
  }
  const verb = verbs[name];
  if (!verb) {
    console.error(`commonwatt: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${verb.usage}\n\n${verb.summary}`);
    return 0;
  }
  try {
    const module = await verb.load();
    return await module.run(rest);
  } catch (error) {
    if (error instanceof CliUsageError) {
      console.error(`commonwatt ${name}: ${error.message}\nusage: ${verb.usage}`);
      return 2;
    }
    // A person reads this: one line naming what failed, never a stack trace.
    console.error(`commonwatt ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
