// The field part of the console's back end: the command path (with its audit log in the
// historian's file) and the commissioning calls — scan an endpoint, read a unit live, save a
// device into the site file. The islanding controller gets `commands` from here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  EndpointView,
  FieldApi,
  MapTemplate,
  ScanResult,
  SiteFileView,
} from '../../shared/api/field-api.ts';
import { deviceSchema } from '../../shared/site/schema.ts';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import { DEMO_SITE_PATH } from '../app/site-loader.ts';
import { SqliteAuditLog, type AuditLog } from './audit-log.ts';
import { CommandPath, type FieldCommands } from './command-path.ts';
import { unitIo } from './device-drivers.ts';
import { scanEndpoint } from './endpoint-scan.ts';
import { ModbusConnection } from './modbus-connection.ts';
import type { Poller } from './poller.ts';
import type { Db } from '../historian/database.ts';
import { saveDeviceToSiteFile } from './site-file-writer.ts';
import { readCustomUnit, readUnit } from './unit-reader.ts';

export interface FieldPart extends ConsolePart<HandlersOf<FieldApi>> {
  /** The one command path to field devices (see command-path.ts for the interface). */
  commands: FieldCommands;
  audit: AuditLog;
}

/** Example devices with custom register maps, offered as templates when commissioning. */
export const EXAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/examples',
);

/** A commissioning connection is kept this long after its last use (the live view reads each second). */
const IDLE_CLOSE_MS = 30_000;

/** What the field part needs beyond the shared context. */
export type FieldContext = ConsoleContext & { poller: Poller; db: Db };

export function createFieldPart(ctx: FieldContext): FieldPart {
  const now = () => ctx.now();
  const audit = new SqliteAuditLog(ctx.db);
  const commands = new CommandPath(ctx.site, ctx.poller, audit, now);
  commands.onResult((result) => {
    ctx.emit('field/command', result);
    ctx.log(
      `command ${result.command.kind} by ${result.actor}: ${result.status}${result.reason ? ` (${result.reason})` : ''}`,
    );
  });
  const scans = new Map<string, AbortController>();
  const links = new Map<string, { connection: ModbusConnection; usedMs: number }>();
  let sweeper: NodeJS.Timeout | null = null;

  const link = (host: string, port: number): ModbusConnection => {
    const key = `${host}:${port}`;
    let entry = links.get(key);
    if (!entry) {
      entry = {
        connection: new ModbusConnection(host, port, { maxInFlight: 1, backoffInitialMs: 0 }),
        usedMs: ctx.now(),
      };
      links.set(key, entry);
    }
    entry.usedMs = ctx.now();
    return entry.connection;
  };

  const handlers: HandlersOf<FieldApi> = {
    'field/endpoints': () => {
      const byKey = new Map<string, EndpointView>();
      for (const { id, endpoint: declared } of ctx.site.devices) {
        const device = ctx.poller.device(id);
        if (!device) continue;
        const { host, port, unitId } = device.endpoint;
        const key = `${host}:${port}`;
        let view = byKey.get(key);
        if (!view)
          byKey.set(
            key,
            (view = {
              host,
              port,
              siteHost: declared.host,
              sitePort: declared.port,
              gateway: device.gateway ?? null,
              devices: [],
            }),
          );
        view.devices.push({ id, unitId, kind: device.kind });
      }
      return [...byKey.values()];
    },
    'field/site-file': () => siteFileView(ctx.siteFile),
    'field/command': ({ command, actor }) => commands.execute(command, actor ?? 'console operator'),
    'field/audit': ({ limit, sinceMs }) => audit.recent(limit ?? 100, sinceMs),
    'field/scan': async ({ scanId, host, port, fromUnit, toUnit, timeoutMs }): Promise<ScanResult> => {
      if (scans.has(scanId)) throw new Error(`a scan '${scanId}' is already running`);
      const controller = new AbortController();
      scans.set(scanId, controller);
      try {
        return await scanEndpoint({
          scanId,
          host,
          port,
          ...(fromUnit !== undefined ? { fromUnit } : {}),
          ...(toUnit !== undefined ? { toUnit } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          signal: controller.signal,
          onProgress: (progress) => ctx.emit('field/scan-progress', progress),
        });
      } finally {
        scans.delete(scanId);
      }
    },
    'field/scan-cancel': ({ scanId }) => {
      const controller = scans.get(scanId);
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    'field/read-unit': ({ host, port, unitId, base, models, timeoutMs }) =>
      readUnit(unitIo(link(host, port), unitId, timeoutMs ?? 2000), {
        ...(base !== undefined ? { base } : {}),
        ...(models ? { models } : {}),
        now,
      }),
    'field/map-templates': () => mapTemplates(EXAMPLES_DIR),
    'field/read-points': ({ host, port, unitId, registerMap, timeoutMs }) =>
      readCustomUnit(unitIo(link(host, port), unitId, timeoutMs ?? 2000), registerMap.points, now),
    'field/save-device': (request) => {
      const target = siteFileView(ctx.siteFile);
      if (!target.writable) return { ok: false, problems: [{ path: '', message: target.reason ?? '' }] };
      return saveDeviceToSiteFile(ctx.siteFile, request);
    },
  };

  return {
    handlers,
    commands,
    audit,
    start() {
      sweeper = setInterval(() => {
        for (const [key, entry] of links)
          if (ctx.now() - entry.usedMs > IDLE_CLOSE_MS) {
            links.delete(key);
            void entry.connection.close();
          }
      }, 5000);
      sweeper.unref();
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      for (const controller of scans.values()) controller.abort();
      await Promise.all([...links.values()].map((e) => e.connection.close()));
      links.clear();
    },
  };
}

/** Whether commissioning may write the site file: never the bundled demo, otherwise if the OS allows. */
export function siteFileView(file: string): SiteFileView {
  if (path.resolve(file) === path.resolve(DEMO_SITE_PATH))
    return {
      file,
      writable: false,
      reason:
        'the bundled demo site is read-only: copy it (cp resources/sites/demo-village.json my-site.json), then start the console with --site my-site.json to commission devices',
    };
  try {
    fs.accessSync(file, fs.constants.W_OK);
    // The new file is written beside it and renamed over it.
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
  } catch (error) {
    return {
      file,
      writable: false,
      reason: `cannot write ${file} or its folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix its permissions or start the console with --site on a copy you can write`,
    };
  }
  return { file, writable: true, reason: null };
}

/** Every example device file with a valid custom register map; others are skipped. */
export function mapTemplates(dir: string): MapTemplate[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const templates: MapTemplate[] = [];
  for (const file of files.sort()) {
    let parsed;
    try {
      parsed = deviceSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    } catch {
      continue;
    }
    if (!parsed.success || parsed.data.registerMap.type !== 'custom') continue;
    templates.push({
      id: path.basename(file, '.json'),
      label: parsed.data.name ?? parsed.data.id,
      kind: parsed.data.kind,
      registerMap: parsed.data.registerMap,
    });
  }
  return templates;
}
