import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
function time(name,f,n=30){ for(let i=0;i<3;i++) tf.tidy(f); const ts=[]; for(let i=0;i<n;i++){const t=performance.now(); tf.tidy(f); ts.push(performance.now()-t);} ts.sort((a,c)=>a-c); console.log(name.padEnd(34),'min',ts[0].toFixed(3),'med',ts[n>>1].toFixed(3)); }
const big=tf.randomNormal([16,128,256]);
time('slice [1,128,256]', ()=>{ tf.slice(big,[3,0,0],[1,128,256]); });
time('16 slices', ()=>{ for(let e=0;e<16;e++) tf.slice(big,[e,0,0],[1,128,256]); });
time('dataSync 2MB', ()=>{ big.dataSync(); });
const d=big.dataSync();
time('16 tensors from subarray', ()=>{ for(let e=0;e<16;e++) tf.tensor2d(d.subarray(e*32768,(e+1)*32768),[128,256]); });
time('transpose whole [0,2,1]', ()=>{ tf.transpose(big,[0,2,1]); });
const w=tf.randomNormal([128,256]);
time('16 transposes 128x256', ()=>{ for(let e=0;e<16;e++) tf.transpose(w); });
const out=new Float32Array(32768);
time('16 JS transposes 128x256', ()=>{ for(let e=0;e<16;e++){ const o=e*32768; for(let r=0;r<128;r++) for(let c=0;c<256;c++) out[c*128+r]=d[o+r*256+c]; } });
time('split 16', ()=>{ tf.split(big,16,0); });
