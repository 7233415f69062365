// Modbus/TCP servers on loopback serving small SunSpec meters, each unit a distinct power value
// (so a reply delivered to the wrong request shows up as a wrong value), for the field tests.
import { buildSunSpecImage } from '../../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../../electron/field/sunspec/models/index.ts';
import { ArrayBank, ModbusTcpServer, type RequestHook } from '../../../electron/sim/modbus-server.ts';
import { deviceSchema, type Device, type SiteFile } from '../../../shared/site/schema.ts';

export function meterImage(unit: number, watts: number): Uint16Array {
  const common = SUNSPEC_MODELS.get(1);
  const meter = SUNSPEC_MODELS.get(201);
  if (!common || !meter) throw new Error('SunSpec models 1 and 201 are not defined');
  return buildSunSpecImage([
    { def: common, values: { Mn: 'Test', Md: 'meter', SN: `unit-${unit}`, DA: unit } },
    {
      def: meter,
      values: {
        A: Math.abs(watts) / 230,
        A_SF: -2,
        PhV: 230,
        PhVphA: 230,
        V_SF: -1,
        Hz: 50,
        Hz_SF: -2,
        W: watts,
        WphA: watts,
        W_SF: 0,
        TotWhExp: 0,
        TotWhImp: 1000 + unit,
        TotWh_SF: 0,
      },
    },
  ]);
}

export interface FakeEndpoint {
  server: ModbusTcpServer;
  port: number;
  /** Unit id → watts it serves. */
  watts: Map<number, number>;
  devices: Device[];
  setHook(hook: RequestHook | undefined): void;
}

/** One server with `units` meters; `gateway` marks them as behind an RS-485 gateway. */
export async function fakeEndpoint(
  name: string,
  units: number[],
  opts: {
    gateway?: boolean;
    pollPeriodMs?: number;
    timeoutMs?: number;
    wattsOf?: (unit: number) => number;
  } = {},
): Promise<FakeEndpoint> {
  const watts = new Map<number, number>();
  const banks = new Map<number, ArrayBank>();
  for (const unit of units) {
    const w = opts.wattsOf?.(unit) ?? 1000 + unit * 37;
    watts.set(unit, w);
    banks.set(unit, new ArrayBank(40000, meterImage(unit, w)));
  }
  const server = new ModbusTcpServer({ host: '127.0.0.1', port: 0, units: banks });
  const port = await server.listen();
  const devices = units.map((unit) =>
    deviceSchema.parse({
      id: `${name}-u${unit}`,
      kind: 'member-meter',
      endpoint: { host: '127.0.0.1', port, unitId: unit },
      registerMap: { type: 'sunspec', base: 40000 },
      ...(opts.gateway ? { gateway: `${name}-gw` } : {}),
      pollPeriodMs: opts.pollPeriodMs ?? 200,
      timeoutMs: opts.timeoutMs ?? 150,
    }),
  );
  return {
    server,
    port,
    watts,
    devices,
    setHook(hook) {
      server.hook = hook;
    },
  };
}

/** Just enough of a site file for the poller (it reads only the devices). */
export function siteOf(devices: Device[]): SiteFile {
  return { devices } as unknown as SiteFile;
}
