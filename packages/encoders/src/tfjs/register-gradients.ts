import * as tf from '@tensorflow/tfjs-core';
import { register } from 'node:module';

/*
 * @tensorflow/tfjs-core's CommonJS build (what Node loads) registers no gradients; they live only in its
 * ESM sources (`dist/register_all_gradients.js`), whose relative imports have no `.js` extension and so do
 * not load in Node. A resolve hook adds the extension for imports inside tfjs-core's dist folder; the
 * gradients then register into the global kernel registry that every copy of tfjs-core shares.
 * (The union package @tensorflow/tfjs bundles them, but it pulls in layers, converter, data and webgl.)
 */
const HOOK = `export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.includes('/@tensorflow/tfjs-core/dist/') &&
      /^\\.{1,2}\\//.test(specifier) && !/\\.[cm]?js$/.test(specifier)) {
    return next(specifier + '.js', context);
  }
  return next(specifier, context);
}`;

let pending: Promise<void> | null = null;

/** Whether TF.js knows the gradient of the `Sum` kernel (a proxy for "gradients are registered"). */
export function gradientsRegistered(): boolean {
  return tf.getGradient('Sum') !== undefined;
}

/**
 * Registers every TF.js gradient (idempotent; resolves immediately when they are already registered,
 * e.g. by @tensorflow/tfjs or tfjs-node). Call once before training.
 */
export function registerAllGradients(): Promise<void> {
  if (gradientsRegistered()) return Promise.resolve();
  if (pending === null) {
    pending = (async () => {
      // Inside jest the module loader is jest's (it resolves extensionless paths itself); elsewhere hook Node's.
      if (process.env.JEST_WORKER_ID === undefined) register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
      await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      if (!gradientsRegistered()) throw new Error('registerAllGradients: the TF.js gradients did not register');
    })();
  }
  return pending;
}
