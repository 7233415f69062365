// The Modbus face of each simulated device: a SunSpec register image (or a custom map for the
// PCC breaker) rebuilt from the physics state every step, and writes turned into commands.
import type { Device, SiteFile } from '../../shared/site/schema.ts';
import { encodeCustomPoint } from '../field/custom-map.ts';
import { buildSunSpecImage } from '../field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../field/sunspec/models/index.ts';
import type { ModelDef } from '../field/sunspec/types.ts';
import { ArrayBank, ModbusError, ModbusException } from './modbus-server.ts';
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

export function simulatedDevice(device: Device, site: SiteFile, physics: SitePhysics): SimulatedDevice {
  if (device.kind === 'pcc-breaker') return breakerDevice(device, physics);
  const s = physics.state;
  const member = site.members.find((m) => m.meter === device.id);
  const bus = device.bus ?? member?.bus ?? site.topology.root;
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
              s.pccImportWh,
              s.pccExportWh,
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
              m?.importWh ?? 0,
              m?.exportWh ?? 0,
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
          { def: model(103), values: inverterValues(m?.pvKW ?? 0, m?.exportWh ?? 0, voltage, s.frequencyHz) },
        ];
      }
      case 'battery-inverter': {
        const b = s.batteries.get(device.id);
        const ratedW = (b?.ratedKW ?? 0) * 1000;
        return [
          { def: model(1), values: common(device, site) },
          {
            def: model(103),
            values: inverterValues(b?.powerKW ?? 0, b?.dischargedWh ?? 0, voltage, s.frequencyHz),
          },
          {
            def: model(124),
            values: {
              WChaMax: ratedW,
              WChaMax_SF: 1,
              WChaGra: 100,
              WDisChaGra: 100,
              WChaDisChaGra_SF: 0,
              StorCtl_Mod: b?.mode === 'setpoint' ? (b.setpointKW >= 0 ? ['DISCHARGE'] : ['CHARGE']) : [],
              ChaState: (b?.socFraction ?? 0) * 100,
              ChaState_SF: -1,
              InWRte: b && b.mode === 'setpoint' && b.setpointKW < 0 ? (-b.setpointKW * 100000) / ratedW : 0,
              OutWRte: b && b.mode === 'setpoint' && b.setpointKW > 0 ? (b.setpointKW * 100000) / ratedW : 0,
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
              Evt1: [],
              Evt2: [],
              AlmRst: 0,
            },
          },
        ];
      }
      default:
        return [{ def: model(1), values: common(device, site) }];
    }
  };
  const bank = new ArrayBank(SUNSPEC_BASE, buildSunSpecImage(parts()), () => {
    // Control writes arrive through the command path (issue: safe writes); until then the image is read-only.
    throw new ModbusError(ModbusException.IllegalDataAddress, 'read-only point');
  });
  return {
    device,
    bank,
    refresh() {
      bank.registers = buildSunSpecImage(parts());
    },
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

function inverterValues(powerKW: number, energyWh: number, voltageV: number, frequencyHz: number): Values {
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
    St: Math.abs(w) > 1 ? 'MPPT' : 'SLEEPING',
  };
}

/** The PCC breaker controller: position, trip flag, a command register and an operation counter. */
function breakerDevice(device: Device, physics: SitePhysics): SimulatedDevice {
  const points = device.registerMap.type === 'custom' ? device.registerMap.points : [];
  const registers = new Uint16Array(8);
  const put = (quantity: string, value: number) => {
    const point = points.find((p) => p.quantity === quantity);
    if (point) registers.set(encodeCustomPoint(point, value), point.address);
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
    put('breakerClosed', s.breakerClosed ? 1 : 0);
    put('breakerTripped', s.breakerTripped ? 1 : 0);
    put('breakerCommand', s.breakerClosed ? 1 : 0);
    put('breakerOperations', s.breakerOperations);
  };
  refresh();
  return { device, bank, refresh };
}
