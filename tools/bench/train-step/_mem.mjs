import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FlexMoEModel, SeededRandom, buildBatch, defaultConfig, registerAllGradients } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend('wasm'); await tf.ready();
const modalities=[{name:'I',letter:'I',width:500},{name:'G',letter:'G',width:2000},{name:'C',letter:'C',width:300},{name:'B',letter:'B',width:20}];
const model=new FlexMoEModel(defaultConfig(modalities,{classes:3,dispatch:'sparse'}),{seed:0});
const rng=new SeededRandom(1); const B=Number(process.argv[2]??8), M=4;
const obs=new Uint8Array(B*M).map((_,i)=> (Math.floor(i/M)%2===0|| rng.nextFloat()<0.5)?1:0); for(let b=0;b<B;b++) if(!obs.subarray(b*M,b*M+M).some(v=>v)) obs[b*M]=1;
const batch=buildBatch(model.table, modalities.map(m=>m.width), modalities.map(m=>rng.normalArray(B*m.width)), obs);
const labels=Int32Array.from({length:B},(_,i)=>i%3);
const opt=tf.train.adam(1e-4);
for(let i=0;i<12;i++){ model.trainStep(batch,labels,opt); const be=tf.backend(); console.log(i, tf.memory().numTensors, (tf.memory().numBytes/1e6).toFixed(1)+'MB', 'heap', (be.wasm.HEAPU8.length/1e6).toFixed(0)+'MB', 'rss', (process.memoryUsage().rss/1e6).toFixed(0)); }
