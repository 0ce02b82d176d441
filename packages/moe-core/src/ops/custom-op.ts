import * as tf from '@tensorflow/tfjs-core';

/** Forward of a custom-gradient op: the value and a backward returning one gradient per input. */
export type CustomOpBody<T extends tf.Tensor> = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] };

/**
 * Typed wrapper of `tf.customGrad` taking the inputs as an array. The forward runs off the tape; tensors the
 * backward needs must go through `save` (others created in the forward are disposed before backprop).
 */
export function customOp<T extends tf.Tensor>(body: CustomOpBody<T>): (...inputs: tf.Tensor[]) => T {
  const f = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return body(args.slice(0, -1) as tf.Tensor[], save);
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => T;
}
