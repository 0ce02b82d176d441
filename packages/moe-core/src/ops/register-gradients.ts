import * as tf from '@tensorflow/tfjs-core';
import { register } from 'node:module';

/*
 * @tensorflow/tfjs-core's CommonJS build (what Node loads) registers no gradients; they are only in its ESM
 * sources (`dist/register_all_gradients.js`), whose relative imports lack the `.js` extension Node needs.
 * A resolve hook adds it for imports inside tfjs-core's dist folder; the gradients then register into the
 * global kernel registry. (Same technique as @flexmoe/encoders; either registration serves both.)
 */
const HOOK = `export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.includes('/@tensorflow/tfjs-core/dist/') &&
      /^\\.{1,2}\\//.test(specifier) && !/\\.[cm]?js$/.test(specifier)) {
    return next(specifier + '.js', context);
  }
  return next(specifier, context);
}`;

let pending: Promise<void> | null = null;

/** Whether TF.js gradients are registered (tested on the `Sum` kernel). */
export function gradientsRegistered(): boolean {
  return tf.getGradient('Sum') !== undefined;
}

/** Registers every TF.js gradient (idempotent). Await once before training (FlexMoEModel.create does). */
export function registerAllGradients(): Promise<void> {
  if (gradientsRegistered()) return Promise.resolve();
  if (pending === null) {
    pending = (async () => {
      if (process.env.JEST_WORKER_ID === undefined) register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
      await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      if (!gradientsRegistered()) throw new Error('registerAllGradients: the TF.js gradients did not register');
    })();
  }
  return pending;
}

/** Throws a clear error when training is attempted without registered gradients. */
export function assertGradientsRegistered(): void {
  if (!gradientsRegistered()) {
    throw new Error('TF.js gradients are not registered: `await registerAllGradients()` (from @flexmoe/moe-core) before training, or create the model with `await FlexMoEModel.create(...)`');
  }
}
