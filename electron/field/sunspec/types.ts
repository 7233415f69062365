// The shape of a SunSpec information model as this project defines it: the subset of the
// SunSpec JSON model schema that decoding, encoding and addressing need.

export type PointType =
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'acc16'
  | 'acc32'
  | 'acc64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'sunssf'
  | 'enum16'
  | 'enum32'
  | 'bitfield16'
  | 'bitfield32'
  | 'bitfield64'
  | 'pad'
  | 'count'
  | 'ipaddr'
  | 'ipv6addr'
  | 'eui48';

export interface PointDef {
  name: string;
  type: PointType;
  /** Size in 16-bit registers. */
  size: number;
  /** Scale factor: the name of a sunssf point (searched in this group, then outwards), or a fixed exponent. */
  sf?: string | number;
  units?: string;
  /** Absent means read-only, as in the SunSpec schema. */
  access?: 'R' | 'RW';
  mandatory?: boolean;
  /** Enumerations: symbol → value. Bit fields: symbol → bit number. */
  symbols?: Record<string, number>;
  label?: string;
}

export interface GroupDef {
  name: string;
  points: PointDef[];
  groups?: GroupDef[];
  /**
   * Repeats of this group: a fixed number, or the name of a count point in an enclosing group.
   * Absent means once (the schema's default), except for the model's last group, whose repeats
   * then fill the rest of the model length L; 0 says that explicitly.
   */
  count?: number | string;
}

export interface ModelDef {
  id: number;
  name: string;
  label: string;
  group: GroupDef;
}

/** Registers taken by each fixed-size type; a string's size comes from its definition. */
export const POINT_TYPE_SIZE: Readonly<Record<Exclude<PointType, 'string'>, number>> = {
  uint16: 1,
  int16: 1,
  acc16: 1,
  sunssf: 1,
  enum16: 1,
  bitfield16: 1,
  pad: 1,
  count: 1,
  uint32: 2,
  int32: 2,
  acc32: 2,
  float32: 2,
  enum32: 2,
  bitfield32: 2,
  ipaddr: 2,
  uint64: 4,
  int64: 4,
  acc64: 4,
  float64: 4,
  bitfield64: 4,
  eui48: 4,
  ipv6addr: 8,
};
