/** Streaming CSV / CSV.gz I/O (public API of src/io). */
export { readCsvBatches, readCsvObjects, columnIndices, openTextStream, isGzipPath, CsvParser } from './csv-stream.js';
export type { CsvBatch, CsvStreamOptions } from './csv-stream.js';
export { CsvWriter, csvField, writeCsvFile } from './csv-writer.js';
export type { CsvCell } from './csv-writer.js';
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export { readAdmissionCodes } from './read-admission-codes.js';
export { cleanStaleTemporaries, parseTemporaryName, processAlive } from './stale-temporaries.js';
