/**
 * Streaming aggregation of lab (hosp/labevents) and vital-sign (icu/chartevents) events of the
 * selected admissions. Rows are filtered by `hadm_id` and folded into per-(admission, item)
 * accumulators (count, sum, min, max, last by `charttime`), so memory grows with patients × items,
 * never with rows. Labs without a numeric `valuenum` are skipped.
 *
 * Item keys: `lab:<itemid>` for labs; `vital:<name>` for vitals (mimic-code `vitalsign.sql` itemids
 * and valid ranges; temperature in °F is converted to °C).
 */
import { columnIndices, readCsvBatches } from '../io/csv-stream.js';

/** Running statistics of one item within one admission. */
export interface ItemAccumulator {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  /** {@link timeKey} of the `charttime` of `last`. */
  lastTime: number;
}

/**
 * An order-preserving number for a `YYYY-MM-DD HH:MM:SS` timestamp (digits at fixed positions),
 * so accumulators keep no reference to the parsed text. Missing parts count as 0; '' → -1.
 */
export function timeKey(s: string): number {
  if (s.length < 10) return -1;
  const d = (i: number) => (i < s.length ? s.charCodeAt(i) - 48 : 0);
  const two = (i: number) => d(i) * 10 + d(i + 1);
  const y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  return ((((y * 13 + two(5)) * 32 + two(8)) * 24 + two(11)) * 60 + two(14)) * 60 + two(17);
}

/** Admission id → item key → accumulator. */
export type AdmissionAggregates = Map<string, Map<string, ItemAccumulator>>;

/** Adds one value (events in file order; a later row at an equal time replaces `last`). */
export function accumulate(byItem: Map<string, ItemAccumulator>, key: string, value: number, time: number): void {
  const a = byItem.get(key);
  if (!a) {
    byItem.set(key, { count: 1, sum: value, min: value, max: value, last: value, lastTime: time });
    return;
  }
  a.count++;
  a.sum += value;
  if (value < a.min) a.min = value;
  if (value > a.max) a.max = value;
  if (time >= a.lastTime) {
    a.last = value;
    a.lastTime = time;
  }
}

/** A vital sign: canonical name, itemids, valid range (exclusive bounds as in vitalsign.sql). */
interface VitalDef {
  name: string;
  low: number;
  high: number;
  fahrenheit?: boolean;
}

/** chartevents itemid → vital definition (mimic-code `vitalsign.sql`). */
export const VITAL_ITEMS: ReadonlyMap<string, VitalDef> = new Map<string, VitalDef>([
  ['220045', { name: 'heart_rate', low: 0, high: 300 }],
  ['220179', { name: 'sbp', low: 0, high: 400 }],
  ['220050', { name: 'sbp', low: 0, high: 400 }],
  ['225309', { name: 'sbp', low: 0, high: 400 }],
  ['220180', { name: 'dbp', low: 0, high: 300 }],
  ['220051', { name: 'dbp', low: 0, high: 300 }],
  ['225310', { name: 'dbp', low: 0, high: 300 }],
  ['220181', { name: 'mbp', low: 0, high: 300 }],
  ['220052', { name: 'mbp', low: 0, high: 300 }],
  ['225312', { name: 'mbp', low: 0, high: 300 }],
  ['220210', { name: 'resp_rate', low: 0, high: 70 }],
  ['224690', { name: 'resp_rate', low: 0, high: 70 }],
  ['220277', { name: 'spo2', low: 0, high: 100.0001 }],
  ['223761', { name: 'temperature', low: 70, high: 120, fahrenheit: true }],
  ['223762', { name: 'temperature', low: 10, high: 50 }],
  ['225664', { name: 'glucose', low: 0, high: Infinity }],
  ['220621', { name: 'glucose', low: 0, high: Infinity }],
  ['226537', { name: 'glucose', low: 0, high: Infinity }],
]);

/** The vital names in feature order. */
export const VITAL_NAMES = ['heart_rate', 'sbp', 'dbp', 'mbp', 'resp_rate', 'spo2', 'temperature', 'glucose'] as const;

/** A vital's value in canonical units, or null when out of the valid range. */
export function canonicalVital(itemid: string, value: number): { name: string; value: number } | null {
  const def = VITAL_ITEMS.get(itemid);
  if (!def || !(value > def.low && value < def.high)) return null;
  return { name: def.name, value: def.fahrenheit ? (value - 32) / 1.8 : value };
}

/** Progress callback: rows read so far. */
export type RowProgress = (rows: number) => void;

/**
 * Streams event rows (`hadm_id, itemid, charttime, valuenum`) of the selected admissions into `into`;
 * `entry` names and converts a row's value (null: skip the row). Returns the number of rows read.
 */
async function aggregateEvents(
  path: string,
  keep: ReadonlySet<string>,
  into: AdmissionAggregates,
  entry: (itemid: string, value: number) => { key: string; value: number } | null,
  onProgress?: RowProgress,
): Promise<number> {
  const cols = ['hadm_id', 'itemid', 'charttime', 'valuenum'] as const;
  let n = 0;
  for await (const b of readCsvBatches(path, { requiredColumns: cols, columns: cols })) {
    const c = columnIndices(path, b.header, cols);
    for (const r of b.rows) {
      const hadm = r[c.hadm_id];
      if (!keep.has(hadm)) continue;
      const raw = r[c.valuenum];
      if (raw === '') continue;
      const e = entry(r[c.itemid], Number(raw));
      if (!e) continue;
      let byItem = into.get(hadm);
      if (!byItem) into.set(hadm, (byItem = new Map()));
      accumulate(byItem, e.key, e.value, timeKey(r[c.charttime]));
    }
    n += b.rows.length;
    onProgress?.(n);
  }
  return n;
}

/**
 * Streams `labevents` rows of the selected admissions into `into`. Returns the number of rows read.
 * @param keep selected `hadm_id`s (as the strings in the file)
 */
export function aggregateLabEvents(
  path: string,
  keep: ReadonlySet<string>,
  into: AdmissionAggregates,
  onProgress?: RowProgress,
): Promise<number> {
  return aggregateEvents(
    path,
    keep,
    into,
    (itemid, v) => (Number.isFinite(v) ? { key: `lab:${itemid}`, value: v } : null),
    onProgress,
  );
}

/** Streams `chartevents` vital-sign rows of the selected admissions into `into`. */
export function aggregateVitalEvents(
  path: string,
  keep: ReadonlySet<string>,
  into: AdmissionAggregates,
  onProgress?: RowProgress,
): Promise<number> {
  return aggregateEvents(
    path,
    keep,
    into,
    (itemid, v) => {
      const vital = canonicalVital(itemid, v);
      return vital ? { key: `vital:${vital.name}`, value: vital.value } : null;
    },
    onProgress,
  );
}
