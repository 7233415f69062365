// uPlot's time labels in the form a European control room reads: a 24-hour clock and dates as
// year-month-day, instead of uPlot's US defaults (3pm, 11/23/26).
import uPlot from 'uplot';

export function template24h(tpl: string): string {
  return tpl
    .replace('{M}/{D}/{YY}', '{YYYY}-{MM}-{DD}')
    .replace('{M}/{D}', '{MM}-{DD}')
    .replace(/\s*\{(aa|AA|a)\}/g, '')
    .replace(/\{h\}(?!:)/g, '{HH}:00')
    .replace(/\{h\}/g, '{HH}');
}

/** uPlot's `fmtDate` option: the default templates, turned to 24 hours. */
export const fmtDate24 = (tpl: string) => uPlot.fmtDate(template24h(tpl));
