// Checks the project's SunSpec tables point by point against the SunSpec Alliance's published
// JSON models, which live beside the repository (CI clones the repo next to shared/ the same way).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../../../../electron/field/sunspec/codec.ts';
import { SUNSPEC_MODELS } from '../../../../../electron/field/sunspec/models/index.ts';
import type { GroupDef, PointDef } from '../../../../../electron/field/sunspec/types.ts';
import { repoRoot } from '../../../../fixtures/paths.ts';

const REFERENCE_DIR = path.resolve(repoRoot, '..', 'shared', 'reference', 'sunspec-models');

/**
 * Where the published JSON contradicts itself, ours follows the point's own description, and the
 * difference is listed here with why, rather than silently accepted.
 */
const ERRATA = new Set([
  // "Amount of Watts available", scale factor WAval_SF, yet units "var" in model_122.json.
  'model 122 group status point WAval: units "var" officially, "W" in ours',
]);

/**
 * Model 122 is in SunSpec's published set but not in the reference copy beside this repository:
 * it is checked point by point when that copy has it, and by its length (44) otherwise.
 */
const OPTIONAL_IDS = new Set([122]);

const MODEL_IDS = [
  1, 101, 102, 103, 111, 112, 113, 120, 121, 122, 123, 124, 201, 202, 203, 204, 211, 212, 213, 214, 701, 702,
  704, 802,
];

interface OfficialSymbol {
  name: string;
  value: number;
}
interface OfficialPoint {
  name: string;
  type: string;
  size: number;
  value?: number | string;
  sf?: string | number;
  units?: string;
  access?: 'R' | 'RW';
  mandatory?: 'M' | 'O';
  symbols?: OfficialSymbol[];
}
interface OfficialGroup {
  name: string;
  label?: string;
  count?: number | string;
  points?: OfficialPoint[];
  groups?: OfficialGroup[];
}
interface OfficialModel {
  id: number;
  group: OfficialGroup;
}

function referencePath(id: number): string {
  return path.join(REFERENCE_DIR, `model_${id}.json`);
}

function loadOfficial(id: number): OfficialModel {
  if (!existsSync(REFERENCE_DIR)) {
    throw new Error(
      `The official SunSpec models are missing: expected ${REFERENCE_DIR} (shared/reference/sunspec-models beside the repository).`,
    );
  }
  if (!existsSync(referencePath(id)))
    throw new Error(`The official SunSpec model ${id} is missing: ${referencePath(id)}`);
  return JSON.parse(readFileSync(referencePath(id), 'utf8')) as OfficialModel;
}

/** Every difference between an official group and ours, each naming the model and point. */
function compareGroup(official: OfficialGroup, ours: GroupDef, where: string): string[] {
  const problems: string[] = [];
  const at = `${where} group ${official.name}`;
  if (ours.name !== official.name) problems.push(`${at}: ours is named ${ours.name}`);
  if (ours.count !== official.count) {
    problems.push(`${at}: count ${String(official.count)} officially, ${String(ours.count)} in ours`);
  }
  const theirPoints = official.points ?? [];
  const theirNames = theirPoints.map((p) => p.name).join(',');
  const ourNames = ours.points.map((p) => p.name).join(',');
  if (theirNames !== ourNames) {
    problems.push(`${at}: points differ\n  official: ${theirNames}\n  ours:     ${ourNames}`);
  }
  theirPoints.forEach((theirs, i) => {
    const mine = ours.points[i];
    if (mine && mine.name === theirs.name)
      problems.push(...comparePoint(theirs, mine, `${at} point ${theirs.name}`));
  });
  const theirGroups = official.groups ?? [];
  const ourGroups = ours.groups ?? [];
  if (theirGroups.map((g) => g.name).join(',') !== ourGroups.map((g) => g.name).join(',')) {
    problems.push(
      `${at}: child groups differ: official ${theirGroups.map((g) => g.name).join(',')}, ours ${ourGroups.map((g) => g.name).join(',')}`,
    );
  } else {
    theirGroups.forEach((g, i) => problems.push(...compareGroup(g, ourGroups[i]!, at)));
  }
  return problems;
}

function comparePoint(theirs: OfficialPoint, mine: PointDef, at: string): string[] {
  const problems: string[] = [];
  const same = (field: string, official: unknown, ours: unknown): void => {
    if (official !== ours)
      problems.push(
        `${at}: ${field} ${JSON.stringify(official)} officially, ${JSON.stringify(ours)} in ours`,
      );
  };
  same('type', theirs.type, mine.type);
  same('size', theirs.size, mine.size);
  same('sf', theirs.sf, mine.sf);
  same('units', theirs.units, mine.units);
  same('access', theirs.access ?? 'R', mine.access ?? 'R');
  same('mandatory', theirs.mandatory === 'M', mine.mandatory === true);
  const theirSymbols = (theirs.symbols ?? []).map((s) => `${s.name}=${s.value}`).join(', ');
  const ourSymbols = Object.entries(mine.symbols ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  same('symbols', theirSymbols, ourSymbols);
  return problems;
}

describe('SunSpec definitions against the official models', () => {
  it('finds the official models beside the repository', () => {
    expect(
      existsSync(REFERENCE_DIR),
      `expected the SunSpec reference models at ${REFERENCE_DIR}; clone the repository beside shared/`,
    ).toBe(true);
  });

  it('defines exactly the models the console decodes', () => {
    const published = MODEL_IDS.filter((id) => existsSync(referencePath(id)));
    expect(published.length, `no model_<id>.json found in ${REFERENCE_DIR}`).toBeGreaterThan(0);
    expect([...SUNSPEC_MODELS.keys()].sort((a, b) => a - b)).toEqual(MODEL_IDS);
  });

  it('gives model 122 its standard fixed length of 44 registers', () => {
    expect(encodeModel(SUNSPEC_MODELS.get(122)!, {})[1]).toBe(44);
  });

  for (const id of MODEL_IDS) {
    it(`model ${id} matches model_${id}.json`, (ctx) => {
      if (OPTIONAL_IDS.has(id) && existsSync(REFERENCE_DIR) && !existsSync(referencePath(id))) {
        console.log(`model ${id}: skipped, ${referencePath(id)} is not in the reference set`);
        ctx.skip();
        return;
      }
      const official = loadOfficial(id);
      const ours = SUNSPEC_MODELS.get(id);
      expect(ours, `model ${id} is published but not defined in electron/field/sunspec/models`).toBeDefined();
      const problems = [
        ...(ours!.id === official.id ? [] : [`model ${id}: id ${ours!.id} in ours`]),
        ...(ours!.name === official.group.name
          ? []
          : [`model ${id}: name ${ours!.name}, officially ${official.group.name}`]),
        ...(ours!.label === (official.group.label ?? '')
          ? []
          : [`model ${id}: label "${ours!.label}", officially "${official.group.label ?? ''}"`]),
        ...compareGroup(official.group, ours!.group, `model ${id}`),
      ];
      expect(problems.filter((problem) => !ERRATA.has(problem)).join('\n')).toBe('');

      // Models with a fixed length state it as L's value; our encoding must produce it.
      const fixedLength = official.group.points?.find((p) => p.name === 'L')?.value;
      if (typeof fixedLength === 'number') expect(encodeModel(ours!, {})[1]).toBe(fixedLength);
    });
  }
});
