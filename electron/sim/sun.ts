// Sun position and clear-sky irradiance, enough to shape PV output by place, day and hour.
// Solar position from the NOAA low-accuracy equations (±0.5°); clear-sky global horizontal
// irradiance from the Haurwitz model, which needs nothing but the solar elevation.

const DEG = Math.PI / 180;

/** Solar elevation above the horizon in degrees at `timeMs` (UTC epoch ms). */
export function solarElevationDeg(timeMs: number, latitudeDeg: number, longitudeDeg: number): number {
  const date = new Date(timeMs);
  const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
  const dayOfYear = Math.floor((timeMs - startOfYear) / 86_400_000) + 1;
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60 + date.getUTCSeconds() / 3600;
  const gamma = ((2 * Math.PI) / 365) * (dayOfYear - 1 + (hour - 12) / 24);
  const eqTimeMin =
    229.18 *
    (0.000075 +
      0.001868 * Math.cos(gamma) -
      0.032077 * Math.sin(gamma) -
      0.014615 * Math.cos(2 * gamma) -
      0.040849 * Math.sin(2 * gamma));
  const decl =
    0.006918 -
    0.399912 * Math.cos(gamma) +
    0.070257 * Math.sin(gamma) -
    0.006758 * Math.cos(2 * gamma) +
    0.000907 * Math.sin(2 * gamma) -
    0.002697 * Math.cos(3 * gamma) +
    0.00148 * Math.sin(3 * gamma);
  const trueSolarMin = hour * 60 + eqTimeMin + 4 * longitudeDeg;
  const hourAngle = (trueSolarMin / 4 - 180) * DEG;
  const lat = latitudeDeg * DEG;
  const cosZenith = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
  return 90 - Math.acos(Math.max(-1, Math.min(1, cosZenith))) / DEG;
}

/** Clear-sky global horizontal irradiance in W/m² (Haurwitz, 1945). */
export function clearSkyGhi(elevationDeg: number): number {
  if (elevationDeg <= 0) return 0;
  const s = Math.sin(elevationDeg * DEG);
  return 1098 * s * Math.exp(-0.057 / s);
}
