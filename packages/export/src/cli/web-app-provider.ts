/**
 * What `flexmoe export --web` and `flexmoe serve --ui` need from the browser app. @flexmoe/web implements it
 * (`webAppProvider`); the flexmoe command passes it in, so this package does not depend on the app's build.
 */
export interface WebAppProvider {
  /** Folder of the built app (index.html, app.js, app.css, ort/…), built first when missing. */
  appDir(): Promise<string>;
  /** The app's index.html set to open `modelUrl` (relative to the page) on load. */
  indexHtml(modelUrl: string): Promise<string>;
  /** Writes the app and a copy of `modelFile` (as model.onnx, opened on load) into `outDir`. */
  writeApp(outDir: string, modelFile: string): Promise<{ dir: string; files: number; bytes: number }>;
}
