/** @flexmoe/web for Node: build the browser app and ship it with a model (the app itself is src/app/). */
export {
  buildWebApp,
  defaultWebAppDir,
  webPackageDir,
  ORT_RUNTIME_FILES,
  type BuiltFile,
  type BuiltWebApp,
} from './build/build-app.js';
export { ensureWebApp, indexHtmlWithModel, webAppProvider, writeWebApp } from './write-web-app.js';
