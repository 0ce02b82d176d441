/** Column lists of the synthetic LONI tables (the 2016 LONI columns of the tables the ADNI pipeline reads). */
export const MEDHIST_COLUMNS = ['MHSOURCE', 'MHPSYCH', 'MH2NEURL', 'MH3HEAD', 'MH4CARD', 'MH5RESP', 'MH6HEPAT', 'MH7DERM', 'MH8MUSCL', 'MH9ENDO',
  'MH10GAST', 'MH11HEMA', 'MH12RENA', 'MH13ALLE', 'MH14ALCH', 'MH14AALCH', 'MH14BALCH', 'MH14CALCH', 'MH15DRUG', 'MH15ADRUG', 'MH15BDRUG',
  'MH16SMOK', 'MH16ASMOK', 'MH16BSMOK', 'MH16CSMOK', 'MH17MALI', 'MH18SURG', 'MH19OTHR', 'MHCOMMEN'];
export const NX_CODES = ['NXVISUAL', 'NXAUDITO', 'NXTREMOR', 'NXCONSCI', 'NXNERVE', 'NXMOTOR', 'NXFINGER', 'NXHEEL', 'NXSENSOR', 'NXTENDON', 'NXPLANTA', 'NXGAIT'];
export const NX_DES = ['NXVISDES', 'NXAUDDES', 'NXTREDES', 'NXCONDES', 'NXNERDES', 'NXMOTDES', 'NXFINDES', 'NXHEEDES', 'NXSENDES', 'NXTENDES', 'NXPLADES', 'NXGAIDES'];
export const NEUROEXM_COLUMNS = [...NX_CODES.flatMap((c, i) => [c, NX_DES[i]]), 'NXOTHER', 'NXOTHSPE', 'NXGENCOM', 'NXABNORM'];
export const PTDEMOG_COLUMNS = ['PTSOURCE', 'PTGENDER', 'PTDOBMM', 'PTDOBYY', 'PTHAND', 'PTMARRY', 'PTEDUCAT', 'PTWORKHS', 'PTWORK', 'PTWRECNT', 'PTNOTRT',
  'PTRTYR', 'PTHOME', 'PTOTHOME', 'PTTLANG', 'PTPLANG', 'PTPSPEC', 'PTCOGBEG', 'PTMCIBEG', 'PTADBEG', 'PTADDX', 'PTETHCAT', 'PTRACCAT'];
export const RECCMEDS_COLUMNS = ['RECNO', 'CMMEDID', 'CMMED', 'CMMEDO', 'CMDOSE', 'CMUNITS', 'CMUNITO', 'CMFREQNC', 'CMFREQNCO', 'CMROUTE', 'CMROUTEO',
  'CMREASON', 'CMEVNUM', 'CMBGN', 'CMCONT', 'CMEND', 'CMCOMM'];
export const VITALS_COLUMNS = ['VSWEIGHT', 'VSWTUNIT', 'VSHEIGHT', 'VSHTUNIT', 'VSBPSYS', 'VSBPDIA', 'VSPULSE', 'VSRESP', 'VSTEMP', 'VSTMPSRC', 'VSTMPUNT', 'VSCOMM'];
export const APOERES_COLUMNS = ['APTESTDT', 'APGEN1', 'APGEN2', 'APVOLUME', 'APRECEIVE', 'APAMBTEMP', 'APRESAMP', 'APUSABLE'];
export const ROCHE_HEADER = ['PHASE', 'RID', 'VISCODE2', 'EXAMDATE', 'BATCH', 'RUNDATE', 'ABETA40', 'ABETA42', 'TAU', 'PTAU', 'COMMENT', 'update_stamp'];
export const DXSUM_HEADER = ['PHASE', 'PTID', 'RID', 'VISCODE', 'VISCODE2', 'EXAMDATE', 'DIAGNOSIS', 'DXNORM', 'DXNODEP', 'DXMCI', 'DXMDES', 'DXMPTR1',
  'DXMPTR2', 'DXMPTR3', 'DXMPTR4', 'DXMPTR5', 'DXMPTR6', 'DXMDUE', 'DXMOTHET', 'DXDSEV', 'DXDDUE', 'DXAD', 'DXAPP', 'DXAPROB', 'DXAPOSS',
  'DXPARK', 'DXPDES', 'DXPCOG', 'DXPATYP', 'DXDEP', 'DXOTHDEM', 'DXODES', 'DXCONFID', 'ID', 'SITEID', 'USERDATE', 'USERDATE2',
  'DD_CRF_VERSION_LABEL', 'LANGUAGE_CODE', 'HAS_QC_ERROR', 'update_stamp'];
export const CRF_PREFIX = ['Phase', 'PTID', 'ID', 'RID', 'SITEID', 'VISCODE', 'VISCODE2', 'USERDATE', 'USERDATE2'];
export const MEDS = [
  { id: 12, name: 'Aspirin', dose: '81', unit: 5 },
  { id: 250, name: 'Lipitor', dose: '20', unit: 5 },
  { id: 1390, name: 'Vitamin D', dose: '1000', unit: 3 },
  { id: 633, name: 'Lisinopril', dose: '10', unit: 5 },
  { id: 1200, name: 'Synthroid', dose: '0.05', unit: 5 },
  { id: 702, name: 'Metformin', dose: '500', unit: 5 },
  { id: 88, name: 'Aricept', dose: '10', unit: 5 },
  { id: 840, name: 'Namenda', dose: '10', unit: 5 },
];
export const OCCUPATIONS = ['Teacher', 'Engineer', 'Nurse', 'Accountant', 'Homemaker', 'Sales', 'Farmer', 'Lawyer', 'Physician', 'Clerk', 'Mechanic', 'Artist'];
