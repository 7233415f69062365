// The field part of the console's back end: the command path (audited to the console's one
// trail) and the commissioning calls — scan an endpoint, read a unit live, save a
// device into the site file. The islanding controller gets `commands` from here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndpointView, FieldApi, MapTemplate, ScanResult } from '../../shared/api/field-api.ts';
import { deviceSchema } from '../../shared/site/schema.ts';
import type { HandlersOf } from '../../shared/api/contract.ts';
import type { ConsoleContext, ConsolePart } from '../platform/console-part.ts';
import { CommandPath, type FieldCommands } from './command-path.ts';
import { unitIo } from './device-drivers.ts';
import { scanEndpoint } from './endpoint-scan.ts';
import { ModbusConnection } from './modbus-connection.ts';
import type { Poller } from './poller.ts';
import { devicePatch } from './device-site-patch.ts';
import { readCustomUnit, readUnit } from './unit-reader.ts';
import { ApiRefusal } from '../platform/api-refusal.ts';
import type { Caller } from '../../shared/api/access.ts';
import { scanAllowed } from '../../shared/site/scan-scope.ts';

export interface FieldPart extends ConsolePart<HandlersOf<FieldApi>> {
  /** The one command path to field devices (see command-path.ts for the interface). */
  commands: FieldCommands;
}

/** Example devices with custom register maps, offered as templates when commissioning. */
export const EXAMPLES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/examples',
);

/** A commissioning connection is kept this long after its last use (the live view reads each second). */
const IDLE_CLOSE_MS = 30_000;

/** What the field part needs beyond the shared context. */
export type FieldContext = ConsoleContext & { poller: Poller };

export function createFieldPart(ctx: FieldContext): FieldPart {
  const now = () => ctx.now();
  // The command path checks commands against the site it was built with (ratings, the PCC).
  const commands = new CommandPath(ctx.sites.current(), ctx.poller, ctx.audit, now);
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

  /** Technicians reach the site's own hosts and networks; only an admin may reach beyond them. */
  const mayReach = (caller: Caller, host: string): undefined => {
    if (caller.role === 'admin') return undefined;
    const served = ctx.sites
      .current()
      .devices.map((d) => ctx.poller.device(d.id)?.endpoint.host ?? d.endpoint.host);
    if (!scanAllowed(ctx.sites.current(), host, served))
      throw new ApiRefusal(
        'forbidden',
        `${host} is not one of the site's endpoints or networks (site file: commissioning.scanNetworks); an admin may reach it`,
      );
    return undefined;
  };

  const handlers: HandlersOf<FieldApi> = {
    'field/endpoints': () => {
      const byKey = new Map<string, EndpointView>();
      for (const { id, endpoint: declared } of ctx.sites.current().devices) {
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
    'field/site-file': () => ctx.sites.access(),
    'field/command': ({ command }, { caller }) => commands.execute(command, caller),
    'field/scan': async (
      { scanId, host, port, fromUnit, toUnit, timeoutMs },
      { caller },
    ): Promise<ScanResult> => {
      mayReach(caller, host);
      if (scans.has(scanId)) throw new ApiRefusal('conflict', `a scan '${scanId}' is already running`);
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
    'field/read-unit': async ({ host, port, unitId, base, models, timeoutMs }, { caller }) =>
      mayReach(caller, host) ??
      readUnit(unitIo(link(host, port), unitId, timeoutMs ?? 2000), {
        ...(base !== undefined ? { base } : {}),
        ...(models ? { models } : {}),
        now,
      }),
    'field/map-templates': () => mapTemplates(EXAMPLES_DIR),
    'field/read-points': async ({ host, port, unitId, registerMap, timeoutMs }, { caller }) =>
      mayReach(caller, host) ??
      readCustomUnit(unitIo(link(host, port), unitId, timeoutMs ?? 2000), registerMap.points, now),
    'field/save-device': (request, { caller }) => {
      // The store tells the poller (through the composition root), so the device is polled at once.
      const saved = ctx.sites.save(devicePatch(request), caller.user);
      if (!saved.ok) return saved;
      ctx.log(`field: device '${request.device.id}' saved to ${saved.file} by ${caller.user}`);
      return { ok: true, file: saved.file, backup: saved.backup };
    },
  };

  return {
    handlers,
    commands,
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
