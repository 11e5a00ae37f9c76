/** Report number formats. */
export const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(digits);
export const mb = (v: number | null) => (v === null ? '–' : `${fmt(v)} MB`);
export const bytes = (v: number | null) => (v === null ? '–' : `${(v / 2 ** 20).toFixed(1)} MiB`);
