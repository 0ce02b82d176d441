import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function bench(name, f, n=20, flops=0){ for(let i=0;i<3;i++) tf.tidy(f); const t=performance.now(); for(let i=0;i<n;i++){ tf.tidy(()=>{const c=f(); }); } const ms=(performance.now()-t)/n; console.log(name.padEnd(40), ms.toFixed(3), flops? (flops/ms/1e6).toFixed(1)+' GFLOP/s':''); }
const shapes=[[128,128,256],[128,256,128],[256,128,128],[128,128,128],[2048,128,256],[512,128,384],[512,128,128],[64,32,64],[1024,128,256],[256,128,256]];
for (const [m,k,n] of shapes){ const a=tf.randomNormal([m,k]), b=tf.randomNormal([k,n]); bench(`${m}x${k}x${n}`, ()=>tf.matMul(a,b), 20, 2*m*k*n); }
const x=tf.randomNormal([128,256]);
bench('transpose 128x256', ()=>tf.transpose(x));
bench('sum0 128x256', ()=>tf.sum(x,0));
const ones=tf.ones([1,128]);
bench('ones matmul 128x256', ()=>tf.matMul(ones,x));
bench('erf 128x256', ()=>tf.erf(x));
bench('mul 128x256', ()=>tf.mul(x,x));
const big=tf.randomNormal([16,128,256]);
bench('slice [1,128,256] of [16,..]', ()=>tf.slice(big,[3,0,0],[1,128,256]));
bench('dataSync 16x128x256', ()=>{ big.dataSync(); return tf.scalar(0);});
const arr=new Float32Array(128*256);
bench('tensor from js 128x256', ()=>tf.tensor2d(arr,[128,256]));
bench('tensor from js 64x32', ()=>tf.tensor2d(arr.subarray(0,2048),[64,32]), 200);
