import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.variable(init)` that takes ownership of `init`: the variable shares the initial tensor's data, so keeping
 * the initial tensor alive would keep that data (the whole parameter) allocated after the variable is disposed.
 */
export function ownedVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init);
  init.dispose();
  return v;
}
