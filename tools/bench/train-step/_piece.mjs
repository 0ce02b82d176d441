import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
const N=64,d=32;
const a=new Float32Array(N*d).fill(0.5), b=new Float32Array(N*d).fill(0.25);
const T={create:0, mm:0, read:0};
function piece(){
  let t0=performance.now();
  const A=tf.tensor2d(a,[N,d]), Bt=tf.tensor2d(b,[d,N]);
  let t1=performance.now(); T.create+=t1-t0;
  const s=tf.matMul(A,Bt);
  let t2=performance.now(); T.mm+=t2-t1;
  const sd=s.dataSync();
  T.read+=performance.now()-t2;
}
for(let rep=0;rep<5;rep++){ T.create=T.mm=T.read=0; const t=performance.now(); tf.tidy(()=>{ for(let i=0;i<32;i++) piece(); }); console.log('32 pieces', (performance.now()-t).toFixed(2), JSON.stringify(T)); }
