/**
 * `@flexmoe/data/browser`: what the prediction path needs besides the record transformer
 * (`@flexmoe/data/transform`), safe for browsers: the combination enumeration and the CSV parser.
 * `flexmoe predict` and the web app (@flexmoe/web, through @flexmoe/export/browser) both use it.
 */
export { combinationKey, combinationMasks } from '@flexmoe/moe-core/spec';
export { CsvParser } from './io/csv-parser.js';
