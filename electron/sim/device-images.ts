// The Modbus face of each simulated device: a SunSpec register image (or a custom map for the
// PCC breaker and the load-shed relays) rebuilt from the physics state every step, and writes
// turned into commands: battery mode and setpoint (models 124 and vendor 64901), PV curtailment
// (model 123), the PCC breaker and each member's shed relay. A tripped battery inverter shows
// FAULT (models 802 and 103) and refuses every write until it is reset. Also the spare meter the
// simulator serves on a gateway for commissioning (site-simulator.ts).
import type { Device, SiteFile } from '../../shared/site/schema.ts';
import { encodeCustomPoint } from '../field/custom-map.ts';
import { buildSunSpecImage } from '../field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../field/sunspec/models/index.ts';
import type { ModelDef } from '../field/sunspec/types.ts';
import { KNOWN_MODELS } from '../field/device-drivers.ts';
import { decodeModel, type DecodedModel } from '../field/sunspec/codec.ts';
import type { PointDef } from '../field/sunspec/types.ts';
import { MODEL_64901, STORAGE_MODE_MODEL_ID } from '../field/vendor-models.ts';
import { batteryModeOfSymbol, storageModeSymbol } from '../../shared/api/battery-modes.ts';
import { ArrayBank, ModbusError, ModbusException } from './modbus-server.ts';
import { clampCustomValue, clampModelValues, RangeAlarms } from './range-clamp.ts';
import { smoothNoise } from './noise.ts';
import type { SitePhysics } from './site-physics.ts';

export const SUNSPEC_BASE = 40000;

function model(id: number): ModelDef {
  const def = SUNSPEC_MODELS.get(id);
  if (!def) throw new Error(`SunSpec model ${id} is not defined`);
  return def;
}

type Values = Record<string, number | string | string[] | undefined>;

function common(device: Device, site: SiteFile): Values {
  return {
    Mn: 'Commonwatt',
    Md: `Simulated ${device.kind}`,
    Opt: site.site.id,
    Vr: '0.1.0',
    SN: device.id.slice(0, 32),
    DA: device.endpoint.unitId,
  };
}

/**
 * Where a device's energy registers started: meters in a village have years on them, and a
 * SunSpec accumulator that reads 0 means "not implemented", so counters starting at 0 would
 * hide a new site's energy until it moved. Fixed per device, between 1 and 10 MWh.
 */
export function meterStartWh(deviceId: string): number {
  let hash = 2166136261;
  for (let i = 0; i < deviceId.length; i++) hash = Math.imul(hash ^ deviceId.charCodeAt(i), 16777619) >>> 0;
  return 1_000_000 + (hash % 9_000_000);
}

/** Fixed scale factors, as a real meter has them (auto-chosen factors would drift with the value). */
function meterValues(
  powerKW: number,
  importWh: number,
  exportWh: number,
  voltageV: number,
  frequencyHz: number,
  phases: 1 | 3,
): Values {
  const w = powerKW * 1000;
  const amps = voltageV > 1 ? Math.abs(w) / (voltageV * phases) : 0;
  const v: Values = {
    A: amps * phases,
    AphA: amps,
    A_SF: -2,
    PhV: voltageV,
    PhVphA: voltageV,
    V_SF: -1,
    Hz: frequencyHz,
    Hz_SF: -2,
    W: w,
    WphA: w / phases,
    W_SF: Math.abs(w) > 32000 ? 1 : 0,
    TotWhExp: Math.floor(exportWh),
    TotWhImp: Math.floor(importWh),
    TotWh_SF: 0,
  };
  if (phases === 3) {
    Object.assign(v, {
      AphB: amps,
      AphC: amps,
      PhVphB: voltageV,
      PhVphC: voltageV,
      WphB: w / 3,
      WphC: w / 3,
    });
  }
  return v;
}

export interface SimulatedDevice {
  device: Device;
  bank: ArrayBank;
  refresh(): void;
}

/** Where each top-level point of each model sits in a SunSpec image, by absolute address. */
interface ImageSlot {
  def: ModelDef;
  /** Address of the model's ID register. */
  start: number;
  length: number;
  /** Register address → [point, its first register]. */
  points: Map<number, { point: PointDef; first: number }>;
}

function layoutOf(image: Uint16Array, base: number): ImageSlot[] {
  const slots: ImageSlot[] = [];
  let at = 2;
  while (at + 1 < image.length) {
    const id = image[at] as number;
    const length = image[at + 1] as number;
    if (id === 0xffff) break;
    const def = KNOWN_MODELS.get(id);
    if (def) {
      const points = new Map<number, { point: PointDef; first: number }>();
      let offset = 0;
      for (const point of def.group.points) {
        for (let r = 0; r < point.size; r++)
          points.set(base + at + offset + r, { point, first: base + at + offset });
        offset += point.size;
      }
      slots.push({ def, start: base + at, length, points });
    }
    at += 2 + length;
  }
  return slots;
}

/**
 * A SunSpec register image rebuilt from the physics on each refresh, whose writable points (RW
 * in the model definition) accept writes: `apply` turns the written model into commands and
 * throws a ModbusError (exception 3) for a value the device would refuse. Writes to read-only
 * registers are refused with exception 2, as most inverters do.
 */
/** The image of `parts`, each value clamped to its register's range and any clamp reported. */
function clampedImage(
  id: string,
  parts: Array<{ def: ModelDef; values: Values }>,
  alarms: RangeAlarms,
): Uint16Array {
  alarms.report(
    id,
    parts.flatMap(({ def, values }) => clampModelValues(def, values)),
  );
  return buildSunSpecImage(parts);
}

function sunSpecDevice(
  device: Device,
  parts: () => Array<{ def: ModelDef; values: Values }>,
  apply: (modelId: number, decoded: DecodedModel) => void,
  alarms: RangeAlarms,
): SimulatedDevice {
  let image = clampedImage(device.id, parts(), alarms);
  let layout = layoutOf(image, SUNSPEC_BASE);
  const bank = new ArrayBank(SUNSPEC_BASE, image, (address, values) => {
    const staged = Uint16Array.from(bank.registers);
    const touched = new Set<ImageSlot>();
    values.forEach((value, i) => {
      const register = address + i;
      const slot = layout.find((s) => register >= s.start && register < s.start + 2 + s.length);
      const hit = slot?.points.get(register);
      if (!slot || !hit || hit.point.access !== 'RW')
        throw new ModbusError(ModbusException.IllegalDataAddress, `register ${register} is not writable`);
      staged[register - SUNSPEC_BASE] = value;
      touched.add(slot);
    });
    for (const slot of touched) {
      const regs = staged.subarray(slot.start - SUNSPEC_BASE, slot.start - SUNSPEC_BASE + 2 + slot.length);
      apply(slot.def.id, decodeModel(slot.def, regs));
    }
    refresh();
  });
  const refresh = () => {
    image = clampedImage(device.id, parts(), alarms);
    bank.registers = image;
    layout = layoutOf(image, SUNSPEC_BASE);
  };
  return { device, bank, refresh };
}

function numberOf(decoded: DecodedModel, name: string): number | null {
  const point = decoded.points[name];
  return point?.implemented && typeof point.value === 'number' ? point.value : null;
}

export function simulatedDevice(
  device: Device,
  site: SiteFile,
  physics: SitePhysics,
  alarms: RangeAlarms = new RangeAlarms(),
): SimulatedDevice {
  if (device.kind === 'pcc-breaker') return breakerDevice(device, physics, alarms);
  if (device.kind === 'shed-relay') return shedRelayDevice(device, physics);
  const s = physics.state;
  const member = site.members.find((m) => m.meter === device.id);
  const bus = device.bus ?? member?.bus ?? site.topology.root;
  const startWh = meterStartWh(device.id);
  if (device.registerMap.type === 'custom') {
    // A meter with its own register map (a DIN-rail meter behind a gateway): the same figures a
    // SunSpec meter would show, placed where its map says.
    return customMeterDevice(device, alarms, () => {
      const branch = site.topology.branches.find((b) => b.meter === device.id);
      const m = member ? s.members.get(member.id) : undefined;
      const powerKW =
        device.kind === 'pcc-meter'
          ? s.pccPowerKW
          : branch
            ? (s.branchFlowKW.get(branch.id) ?? 0)
            : (m?.netKW ?? 0);
      const voltageV = device.kind === 'pcc-meter' ? s.gridVoltageV : (s.busVoltageV.get(bus) ?? 0);
      const phases = member?.category === 'household' ? 1 : 3;
      return {
        powerKW,
        voltageV,
        frequencyHz: s.frequencyHz,
        currentA: voltageV > 1 ? Math.abs(powerKW * 1000) / voltageV : 0,
        currentPerPhaseA: voltageV > 1 ? Math.abs(powerKW * 1000) / (voltageV * phases) : 0,
        energyImportKWh:
          (startWh + (device.kind === 'pcc-meter' ? s.pccImportWh : (m?.importWh ?? 0))) / 1000,
        energyExportKWh:
          (startWh + (device.kind === 'pcc-meter' ? s.pccExportWh : (m?.exportWh ?? 0))) / 1000,
      };
    });
  }
  // What the operator last wrote: the image shows it back, the physics follows it.
  const storage = { ctlBits: 0, inPct: 0, outPct: 0 };
  const curtail = { limitPct: 100, enabled: false };
  const parts = (): Array<{ def: ModelDef; values: Values }> => {
    const voltage = s.busVoltageV.get(bus) ?? 0;
    switch (device.kind) {
      case 'pcc-meter':
        return [
          { def: model(1), values: common(device, site) },
          {
            def: model(213),
            values: floatMeter(
              s.pccPowerKW,
              startWh + s.pccImportWh,
              startWh + s.pccExportWh,
              s.gridVoltageV,
              s.gridAvailable ? s.gridFrequencyHz : 0,
            ),
          },
        ];
      case 'feeder-meter': {
        const branch = site.topology.branches.find((b) => b.meter === device.id);
        const flowKW = branch ? (s.branchFlowKW.get(branch.id) ?? 0) : 0;
        return [
          { def: model(1), values: common(device, site) },
          { def: model(203), values: meterValues(flowKW, 0, 0, voltage, s.frequencyHz, 3) },
        ];
      }
      case 'member-meter': {
        const m = member ? s.members.get(member.id) : undefined;
        const threePhase = member?.category !== 'household';
        return [
          { def: model(1), values: common(device, site) },
          {
            def: model(threePhase ? 203 : 201),
            values: meterValues(
              m?.netKW ?? 0,
              startWh + (m?.importWh ?? 0),
              startWh + (m?.exportWh ?? 0),
              voltage,
              s.frequencyHz,
              threePhase ? 3 : 1,
            ),
          },
        ];
      }
      case 'pv-inverter': {
        const m = member ? s.members.get(member.id) : undefined;
        return [
          { def: model(1), values: common(device, site) },
          {
            def: model(103),
            values: inverterValues(m?.pvKW ?? 0, startWh + (m?.exportWh ?? 0), voltage, s.frequencyHz),
          },
          {
            def: model(123),
            values: {
              Conn: 'CONNECT',
              WMaxLimPct: curtail.limitPct,
              WMaxLim_Ena: curtail.enabled ? 'ENABLED' : 'DISABLED',
              OutPFSet_Ena: 'DISABLED',
              VArPct_Ena: 'DISABLED',
              WMaxLimPct_SF: -1,
              OutPFSet_SF: -3,
              VArPct_SF: -1,
            },
          },
        ];
      }
      case 'battery-inverter': {
        const b = s.batteries.get(device.id);
        const ratedW = (b?.ratedKW ?? 0) * 1000;
        const mode = storageModeSymbol(b?.mode ?? 'standby');
        return [
          { def: model(1), values: common(device, site) },
          {
            def: model(103),
            values: inverterValues(
              b?.powerKW ?? 0,
              startWh + (b?.dischargedWh ?? 0),
              voltage,
              s.frequencyHz,
              b?.tripped ?? false,
            ),
          },
          {
            def: model(124),
            values: {
              WChaMax: ratedW,
              WChaMax_SF: 1,
              WChaGra: 100,
              WDisChaGra: 100,
              WChaDisChaGra_SF: 0,
              StorCtl_Mod: storage.ctlBits,
              ChaState: (b?.socFraction ?? 0) * 100,
              ChaState_SF: -1,
              InWRte: storage.inPct,
              OutWRte: storage.outPct,
              InOutWRte_SF: -1,
            },
          },
          {
            def: model(802),
            values: {
              AHRtg: ((b?.capacityKWh ?? 0) * 1000) / 48,
              AHRtg_SF: 0,
              WHRtg: (b?.capacityKWh ?? 0) * 1000,
              WHRtg_SF: 1,
              WChaRteMax: ratedW,
              WDisChaRteMax: ratedW,
              WChaDisChaMax_SF: 1,
              SoC: (b?.socFraction ?? 0) * 100,
              SoC_SF: -1,
              ChaSt: b
                ? b.powerKW < -0.05
                  ? 'CHARGING'
                  : b.powerKW > 0.05
                    ? 'DISCHARGING'
                    : 'HOLDING'
                : undefined,
              LocRemCtl: 'REMOTE',
              Typ: 'LITHIUM_ION',
              State: b?.tripped ? 'FAULT' : 'CONNECTED',
              // A trip has no event of its own in model 802: inverters of this class raise their
              // catch-all alarm with it.
              Evt1: b?.tripped ? ['OTHER_ALARM'] : [],
              Evt2: [],
              AlmRst: 0,
            },
          },
          { def: MODEL_64901, values: { Mod: mode, ModSt: mode } },
        ];
      }
      default:
        return [{ def: model(1), values: common(device, site) }];
    }
  };
  const applySetpoint = () => {
    const b = s.batteries.get(device.id);
    if (!b) return;
    const discharge = (storage.ctlBits & 2) !== 0 ? storage.outPct : 0;
    const charge = (storage.ctlBits & 1) !== 0 ? storage.inPct : 0;
    b.setpointKW = ((discharge - charge) / 100) * b.ratedKW;
  };
  return sunSpecDevice(
    device,
    parts,
    (modelId, decoded) => {
      // A tripped inverter's controller is up (it answers reads and shows FAULT) but will not take
      // commands until the fault is reset: exception 4, as a device that cannot carry out the request.
      if (s.batteries.get(device.id)?.tripped)
        throw new ModbusError(
          ModbusException.ServerDeviceFailure,
          `${device.id} is tripped (fault): commands are refused until it is reset`,
        );
      if (modelId === 124) {
        const inPct = numberOf(decoded, 'InWRte') ?? 0;
        const outPct = numberOf(decoded, 'OutWRte') ?? 0;
        if (Math.abs(inPct) > 100 || Math.abs(outPct) > 100)
          throw new ModbusError(ModbusException.IllegalDataValue, 'rates are -100 to 100 %');
        storage.inPct = inPct;
        storage.outPct = outPct;
        storage.ctlBits = Number(decoded.points.StorCtl_Mod?.raw ?? 0) & 3;
        applySetpoint();
      } else if (modelId === STORAGE_MODE_MODEL_ID) {
        const symbol = decoded.points.Mod?.symbol;
        const mode = symbol ? batteryModeOfSymbol(symbol) : null;
        const b = s.batteries.get(device.id);
        if (!mode || !b) throw new ModbusError(ModbusException.IllegalDataValue, 'unknown storage mode');
        b.mode = mode;
        applySetpoint();
      } else if (modelId === 123) {
        const pct = numberOf(decoded, 'WMaxLimPct') ?? 100;
        if (pct < 0 || pct > 100)
          throw new ModbusError(ModbusException.IllegalDataValue, 'WMaxLimPct is 0 to 100 %');
        curtail.limitPct = pct;
        curtail.enabled = decoded.points.WMaxLim_Ena?.symbol === 'ENABLED';
        // The physics has one PV limit for the whole site: the community inverter's setting drives it.
        s.pvLimitFraction = curtail.enabled ? pct / 100 : 1;
      }
      physics.step(0);
    },
    alarms,
  );
}

/** A unit served on a gateway that the site file does not list: something to commission. */
export interface SpareUnit {
  unitId: number;
  serial: string;
  bank: ArrayBank;
  refresh(): void;
}

/**
 * A member meter wired on the gateway's bus but not yet in the site file (a new connection waiting
 * to be commissioned): SunSpec models 1 and 203, reading a small load with some noise. Its load is
 * not part of the physics' balance (it is too small to matter and belongs to no member), and no
 * write is accepted: a meter has nothing to command.
 */
export function spareMeterDevice(
  site: SiteFile,
  physics: SitePhysics,
  unitId: number,
  alarms: RangeAlarms = new RangeAlarms(),
): SpareUnit {
  const s = physics.state;
  const serial = `spare-meter-${unitId}`;
  const baseKW = 0.35;
  let importWh = 0;
  let lastMs = s.timeMs;
  const parts = () => {
    const t = s.timeMs / 1000;
    const live = !s.blackout;
    const powerKW = live
      ? baseKW * (1 + 0.15 * smoothNoise(unitId * 131 + 7, t / 30)) + 0.02 * smoothNoise(unitId * 17, t / 2)
      : 0;
    const dtHours = Math.max(0, s.timeMs - lastMs) / 3_600_000;
    lastMs = s.timeMs;
    importWh += powerKW * dtHours * 1000;
    return [
      {
        def: model(1),
        values: {
          Mn: 'Commonwatt',
          Md: 'Simulated member-meter (spare)',
          Opt: site.site.id,
          Vr: '0.1.0',
          SN: serial,
          DA: unitId,
        },
      },
      {
        def: model(203),
        values: meterValues(
          powerKW,
          importWh,
          0,
          s.busVoltageV.get(site.topology.root) ?? 0,
          live ? s.frequencyHz : 0,
          3,
        ),
      },
    ];
  };
  const bank = new ArrayBank(SUNSPEC_BASE, clampedImage(serial, parts(), alarms), () => {
    throw new ModbusError(ModbusException.IllegalDataAddress, 'the meter is read-only');
  });
  return {
    unitId,
    serial,
    bank,
    refresh: () => void (bank.registers = clampedImage(serial, parts(), alarms)),
  };
}

function floatMeter(
  powerKW: number,
  importWh: number,
  exportWh: number,
  voltageV: number,
  frequencyHz: number,
): Values {
  const w = powerKW * 1000;
  const amps = voltageV > 1 ? Math.abs(w) / (voltageV * 3) : 0;
  return {
    A: amps * 3,
    AphA: amps,
    AphB: amps,
    AphC: amps,
    PhV: voltageV,
    PhVphA: voltageV,
    PhVphB: voltageV,
    PhVphC: voltageV,
    PPV: voltageV * Math.sqrt(3),
    PPVphAB: voltageV * Math.sqrt(3),
    PPVphBC: voltageV * Math.sqrt(3),
    PPVphCA: voltageV * Math.sqrt(3),
    Hz: frequencyHz,
    W: w,
    WphA: w / 3,
    WphB: w / 3,
    WphC: w / 3,
    TotWhExp: exportWh,
    TotWhImp: importWh,
  };
}

function inverterValues(
  powerKW: number,
  energyWh: number,
  voltageV: number,
  frequencyHz: number,
  faulted = false,
): Values {
  const w = powerKW * 1000;
  const amps = voltageV > 1 ? Math.abs(w) / (voltageV * 3) : 0;
  return {
    A: amps * 3,
    AphA: amps,
    AphB: amps,
    AphC: amps,
    A_SF: -2,
    PhVphA: voltageV,
    PhVphB: voltageV,
    PhVphC: voltageV,
    V_SF: -1,
    W: w,
    W_SF: 1,
    Hz: frequencyHz,
    Hz_SF: -2,
    WH: Math.floor(energyWh),
    WH_SF: 0,
    St: faulted ? 'FAULT' : Math.abs(w) > 1 ? 'MPPT' : 'SLEEPING',
  };
}

/** The PCC breaker controller: position, trip flag, a command register and an operation counter. */
function breakerDevice(device: Device, physics: SitePhysics, alarms: RangeAlarms): SimulatedDevice {
  const points = device.registerMap.type === 'custom' ? device.registerMap.points : [];
  const registers = new Uint16Array(8);
  let clamps: Array<NonNullable<ReturnType<typeof clampCustomValue>['clamp']>> = [];
  const put = (quantity: string, value: number) => {
    const point = points.find((p) => p.quantity === quantity);
    if (!point) return;
    const { shown, clamp } = clampCustomValue(point, value);
    if (clamp) clamps.push(clamp);
    registers.set(encodeCustomPoint(point, shown), point.address);
  };
  const commandPoint = points.find((p) => p.quantity === 'breakerCommand');
  const bank = new ArrayBank(0, registers, (address, values) => {
    if (!commandPoint || address !== commandPoint.address || values.length !== 1)
      throw new ModbusError(ModbusException.IllegalDataAddress, 'only the command register is writable');
    const command = values[0];
    if (command !== 0 && command !== 1)
      throw new ModbusError(ModbusException.IllegalDataValue, 'command is 0 (open) or 1 (close)');
    physics.setBreaker(command === 1);
    refresh();
  });
  const refresh = () => {
    const s = physics.state;
    clamps = [];
    put('breakerClosed', s.breakerClosed ? 1 : 0);
    put('breakerTripped', s.breakerTripped ? 1 : 0);
    put('breakerCommand', s.breakerClosed ? 1 : 0);
    put('breakerOperations', s.breakerOperations);
    // The breaker controller's sync-check input: the angle across the breaker while it is open.
    put('phaseDifferenceDeg', s.breakerClosed ? 0 : s.syncPhaseDeg);
    alarms.report(device.id, clamps);
  };
  refresh();
  return { device, bank, refresh };
}

/**
 * A load-shed relay controller: one holding register per member it switches, the point named by
 * the member's id; 1 disconnects the member's load (shed), 0 reconnects it.
 */
function shedRelayDevice(device: Device, physics: SitePhysics): SimulatedDevice {
  const points = device.registerMap.type === 'custom' ? device.registerMap.points : [];
  const size = Math.max(1, ...points.map((p) => p.address + 1));
  const registers = new Uint16Array(size);
  const byAddress = new Map(points.map((p) => [p.address, p]));
  const refresh = () => {
    for (const point of points)
      registers[point.address] = physics.state.members.get(point.name)?.shed ? 1 : 0;
  };
  const bank = new ArrayBank(0, registers, (address, values) => {
    values.forEach((value, i) => {
      const point = byAddress.get(address + i);
      const member = point ? physics.state.members.get(point.name) : undefined;
      if (!member)
        throw new ModbusError(ModbusException.IllegalDataAddress, `no relay at register ${address + i}`);
      if (value !== 0 && value !== 1)
        throw new ModbusError(ModbusException.IllegalDataValue, 'a relay is 0 (connected) or 1 (shed)');
    });
    values.forEach((value, i) => {
      const member = physics.state.members.get(byAddress.get(address + i)?.name ?? '');
      if (member) member.shed = value === 1;
    });
    physics.step(0);
    refresh();
  });
  refresh();
  return { device, bank, refresh };
}

/** A custom-map meter: each point filled from the physics by its canonical quantity; read-only. */
function customMeterDevice(
  device: Device,
  alarms: RangeAlarms,
  figures: () => Record<string, number>,
): SimulatedDevice {
  const points = device.registerMap.type === 'custom' ? device.registerMap.points : [];
  const size = Math.max(2, ...points.map((p) => p.address + 2));
  const registers = new Uint16Array(size);
  const bank = new ArrayBank(0, registers, () => {
    throw new ModbusError(ModbusException.IllegalDataAddress, 'the meter is read-only');
  });
  const refresh = () => {
    const f = figures();
    const clamps = [];
    for (const point of points) {
      const value = point.quantity !== undefined ? f[point.quantity] : undefined;
      if (value === undefined) continue;
      const { shown, clamp } = clampCustomValue(point, value);
      if (clamp) clamps.push(clamp);
      registers.set(encodeCustomPoint(point, shown), point.address);
    }
    alarms.report(device.id, clamps);
  };
  refresh();
  return { device, bank, refresh };
}
