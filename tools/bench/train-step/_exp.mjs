import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const E=16,H=128,H2=256,n=128;
const w1d=new Float32Array(E*H*H2).fill(0.01), xs=new Float32Array(2048*H).fill(0.5);
const T={mk:0,mm:0,read:0, mm2:0};
for (let rep=0; rep<6; rep++){
  for (const k in T) T[k]=0;
  const t0=performance.now();
  tf.tidy(()=>{
  for(let e=0;e<E;e++){
    let t=performance.now();
    const X=tf.tensor2d(xs.subarray(e*n*H,(e+1)*n*H),[n,H]); const W=tf.tensor2d(w1d.subarray(e*H*H2,(e+1)*H*H2),[H,H2]);
    let t1=performance.now(); T.mk+=t1-t;
    const a=tf.matMul(X,W);
    let t2=performance.now(); T.mm+=t2-t1;
    const d=a.dataSync();
    let t3=performance.now(); T.read+=t3-t2;
  }});
  console.log('total', (performance.now()-t0).toFixed(2), JSON.stringify(Object.fromEntries(Object.entries(T).map(([k,v])=>[k,v.toFixed(2)]))));
}
