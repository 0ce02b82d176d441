/**
 * MIMIC-IV cohort (docs/algorithm.md §8): admissions that ended in death ("visits at the time of death":
 * `deathtime` set, `hospital_expire_flag = 1`, or `dod` on or before the discharge date) are dropped;
 * patients with at least two remaining admissions are kept; their last remaining admission (latest
 * `admittime`, ties → larger `hadm_id`) is the sample; label 1 = `dod` within 365 days after that
 * admission's `dischtime`, else 0.
 */
import { columnIndices, detachString, readCsvBatches } from '../io/csv-stream.js';
import { DAY_MS, parseMimicTime, requireMimicFile } from './mimic-files.js';

/** One selected patient. */
export interface CohortMember {
  subjectId: string;
  hadmId: string;
  admittime: string;
  dischtime: string;
  /** 1 = died within one year after discharge. */
  label: number;
}

/** Counts of the cohort rules (no patient values). */
export interface CohortReport {
  patients: number;
  admissions: number;
  droppedDeathAdmissions: number;
  excludedFewerThanTwoAdmissions: number;
  selected: number;
  positives: number;
}

/** Reads patients + admissions and applies the cohort rules. */
export async function selectMimicCohort(
  raw: string,
): Promise<{ members: CohortMember[]; report: CohortReport; files: string[] }> {
  const patientsPath = requireMimicFile(raw, 'patients');
  const admissionsPath = requireMimicFile(raw, 'admissions');
  const dod = new Map<string, string>();
  let patients = 0;
  for await (const b of readCsvBatches(patientsPath, { requiredColumns: ['subject_id', 'dod'] })) {
    const c = columnIndices(patientsPath, b.header, ['subject_id', 'dod'] as const);
    for (const r of b.rows) {
      patients++;
      if (r[c.dod] !== '') {
        if (Number.isNaN(parseMimicTime(r[c.dod])))
          throw new Error(`${patientsPath}: subject row ${patients}: dod '${r[c.dod]}' is not a date`);
        dod.set(detachString(r[c.subject_id]), detachString(r[c.dod]));
      }
    }
  }
  type Adm = { hadm: string; admit: string; disch: string };
  const bySubject = new Map<string, Adm[]>();
  let admissions = 0;
  let dropped = 0;
  const cols = ['subject_id', 'hadm_id', 'admittime', 'dischtime', 'deathtime', 'hospital_expire_flag'] as const;
  for await (const b of readCsvBatches(admissionsPath, { requiredColumns: cols, columns: cols })) {
    const c = columnIndices(admissionsPath, b.header, cols);
    b.rows.forEach((r, k) => {
      admissions++;
      const where = `${admissionsPath}: record ${b.firstRecord + k}`;
      const admitMs = parseMimicTime(r[c.admittime]);
      const dischMs = parseMimicTime(r[c.dischtime]);
      if (Number.isNaN(admitMs)) throw new Error(`${where}: admittime '${r[c.admittime]}' is not a timestamp`);
      const subject = r[c.subject_id];
      const d = dod.get(subject);
      const diedThen =
        r[c.deathtime] !== '' ||
        r[c.hospital_expire_flag] === '1' ||
        Number.isNaN(dischMs) ||
        (d !== undefined && parseMimicTime(d) <= Math.floor(dischMs / DAY_MS) * DAY_MS);
      if (diedThen) {
        dropped++;
        return;
      }
      let list = bySubject.get(subject);
      if (!list) bySubject.set(subject, (list = []));
      list.push({ hadm: r[c.hadm_id], admit: detachString(r[c.admittime]), disch: detachString(r[c.dischtime]) });
    });
  }
  const members: CohortMember[] = [];
  let few = 0;
  let positives = 0;
  for (const [subject, list] of bySubject) {
    if (list.length < 2) {
      few++;
      continue;
    }
    let last = list[0];
    for (const a of list) {
      if (a.admit > last.admit || (a.admit === last.admit && Number(a.hadm) > Number(last.hadm))) last = a;
    }
    const d = dod.get(subject);
    const label = d !== undefined && parseMimicTime(d) - parseMimicTime(last.disch) <= 365 * DAY_MS ? 1 : 0;
    positives += label;
    members.push({ subjectId: subject, hadmId: last.hadm, admittime: last.admit, dischtime: last.disch, label });
  }
  // patients whose admissions were all dropped or who only appear in patients.csv
  const report: CohortReport = {
    patients,
    admissions,
    droppedDeathAdmissions: dropped,
    excludedFewerThanTwoAdmissions: few + Math.max(0, patients - bySubject.size),
    selected: members.length,
    positives,
  };
  return { members, report, files: [patientsPath, admissionsPath] };
}
