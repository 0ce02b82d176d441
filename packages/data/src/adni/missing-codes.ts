/**
 * ADNI missing-value codes (schemas/adni_schemas.md §1.5): `-4` ("not available") is missing in every
 * column; `-1` ("not done") is missing in the columns where the schema uses it that way (ADNI1-era
 * vitals, neurological exam codes, PTEDUCAT, free-text dates and doses), where it is never a real
 * value; `-5` ("quantity not sufficient") in the CSF biomarker values. The reference keeps them as numbers;
 * we do not (docs/algorithm.md §8).
 */

/** Columns in which `-1` means missing. */
export const ADNI_MINUS_ONE_COLUMNS: ReadonlySet<string> = new Set([
  'VSWEIGHT',
  'VSWTUNIT',
  'VSHEIGHT',
  'VSHTUNIT',
  'VSBPSYS',
  'VSBPDIA',
  'VSPULSE',
  'VSRESP',
  'VSTEMP',
  'VSTMPSRC',
  'VSTMPUNT',
  'NXVISUAL',
  'NXAUDITO',
  'NXTREMOR',
  'NXCONSCI',
  'NXNERVE',
  'NXMOTOR',
  'NXFINGER',
  'NXHEEL',
  'NXSENSOR',
  'NXTENDON',
  'NXPLANTA',
  'NXGAIT',
  'NXOTHER',
  'NXABNORM',
  'PTEDUCAT',
  'PTRTYR',
  'PTADBEG',
  'CMDOSE',
]);

/** CSF biomarker columns in which `-5` (sample quantity not sufficient) means missing. */
export const ADNI_MINUS_FIVE_COLUMNS: ReadonlySet<string> = new Set(['ABETA40', 'ABETA42', 'TAU', 'PTAU']);

/** The missing-value codes of an (upper-cased) ADNI column. */
export function adniMissingCodes(column: string): string[] {
  const codes = ['-4'];
  if (ADNI_MINUS_ONE_COLUMNS.has(column)) codes.push('-1');
  if (ADNI_MINUS_FIVE_COLUMNS.has(column)) codes.push('-5');
  return codes;
}

/** Columns every ADNI table shares (ids, phase, visit codes, form bookkeeping): dropped from the features. */
export const ADNI_SHARED_COLUMNS: ReadonlySet<string> = new Set([
  'PTID',
  'RID',
  'PHASE',
  'ID',
  'SITEID',
  'VISCODE',
  'VISCODE2',
  'USERDATE',
  'USERDATE2',
  'EXAMDATE',
  'VISDATE',
  'UPDATE_STAMP',
  'DD_CRF_VERSION_LABEL',
  'LANGUAGE_CODE',
  'HAS_QC_ERROR',
  'COLPROT',
  'ORIGPROT',
  'SCRNO',
]);

/** Columns that leak the diagnosis (year of onset / AD diagnosis): always dropped (docs/algorithm.md §8). */
export const ADNI_LEAKING_COLUMNS: ReadonlySet<string> = new Set(['PTCOGBEG', 'PTADDX', 'PTADBEG']);

/** Columns that must hold numbers in the raw ADNI tables (a text value there is an input error). */
export const ADNI_NUMERIC_COLUMNS: ReadonlySet<string> = new Set([
  'RID',
  'VSWEIGHT',
  'VSHEIGHT',
  'VSBPSYS',
  'VSBPDIA',
  'VSPULSE',
  'VSRESP',
  'VSTEMP',
  'PTEDUCAT',
  'PTDOBYY',
  'PTDOBMM',
  'ABETA40',
  'ABETA42',
  'TAU',
  'PTAU',
  'APGEN1',
  'APGEN2',
  'APVOLUME',
  'MH16ASMOK',
]);
