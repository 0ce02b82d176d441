import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { layerNorm, registerAllGradients } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend('wasm'); await tf.ready();
const x=tf.randomNormal([512,128]), g=tf.ones([128]), b=tf.zeros([128]);
function time(name,f,n=20){ for(let i=0;i<3;i++) tf.tidy(f); const ts=[]; for(let i=0;i<n;i++){const t=performance.now(); tf.tidy(f); ts.push(performance.now()-t);} ts.sort((a,c)=>a-c); console.log(name.padEnd(24),'min',ts[0].toFixed(2),'med',ts[n>>1].toFixed(2)); }
time('ln fwd', ()=>{ layerNorm(x,g,b); });
time('ln fwd+bwd', ()=>{ const [a]=tf.grads((y)=>tf.sum(layerNorm(y,g,b)))([x]); });
time('sum only grad', ()=>{ const [a]=tf.grads((y)=>tf.sum(tf.mul(y,1)))([x]); });
const arr=new Float32Array(512*128);
time('read 512x128', ()=>{ x.dataSync(); });
time('make 512x128', ()=>{ tf.tensor2d(arr,[512,128]); });
