import * as tf from '@tensorflow/tfjs-core';

/*
 * @tensorflow/tfjs-core registers no gradients by itself; the @tensorflow/tfjs package does, for the core it
 * shares (its Node build carries the gradient definitions compiled to CommonJS). Loading it on first need
 * keeps inference-only users free of it and needs no loader hook.
 */

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
      try {
        await import('@tensorflow/tfjs');
      } catch (err) {
        pending = null;
        throw new Error(
          `registerAllGradients: training needs the @tensorflow/tfjs package ` +
            `(npm install @tensorflow/tfjs@${tf.version_core}): ` +
            `${(err as Error).message}`,
        );
      }
      if (!gradientsRegistered()) throw new Error('registerAllGradients: the TF.js gradients did not register');
    })();
  }
  return pending;
}

/** Throws a clear error when training is attempted without registered gradients. */
export function assertGradientsRegistered(): void {
  if (!gradientsRegistered()) {
    throw new Error(
      'TF.js gradients are not registered: `await registerAllGradients()` (from @flexmoe/moe-core) ' +
        'before training, or create the model with `await FlexMoEModel.create(...)`',
    );
  }
}
