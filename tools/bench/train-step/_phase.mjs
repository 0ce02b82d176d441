import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FlexMoEModel, SeededRandom, buildBatch, defaultConfig, registerAllGradients, TypedAdam } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend('wasm'); await tf.ready();
const modalities=[{name:'I',letter:'I',width:500},{name:'G',letter:'G',width:2000},{name:'C',letter:'C',width:300},{name:'B',letter:'B',width:20}];
const model=new FlexMoEModel(defaultConfig(modalities,{classes:3,dispatch:'sparse'}),{seed:0});
const rng=new SeededRandom(1); const B=8, M=4;
const obs=new Uint8Array(B*M).map((_,i)=> (Math.floor(i/M)%2===0|| rng.nextFloat()<0.5)?1:0); for(let b=0;b<B;b++) if(!obs.subarray(b*M,b*M+M).some(v=>v)) obs[b*M]=1;
const batch=buildBatch(model.table, modalities.map(m=>m.width), modalities.map(m=>rng.normalArray(B*m.width)), obs);
const labels=Int32Array.from({length:B},(_,i)=>i%3);
const opt = process.argv[2]==='typed' ? new TypedAdam({learningRate:1e-4}) : tf.train.adam(1e-4);
const orig=opt.applyGradients.bind(opt);
const origCG = model.constructor.prototype; 
opt.applyGradients=(g)=>{ const t=performance.now(); orig(g); globalThis.__T['adam']=(globalThis.__T['adam']??0)+performance.now()-t; };
for(let i=0;i<2;i++) model.trainStep(batch,labels,opt);
const best={}; const tot=[];
for(let i=0;i<15;i++){ globalThis.__T={}; const t=performance.now(); model.trainStep(batch,labels,opt); const dt=performance.now()-t; globalThis.__T.total=dt; for(const [k,v] of Object.entries(globalThis.__T)) best[k]=Math.min(best[k]??Infinity,v); }
for(const [k,v] of Object.entries(best).sort((a,b)=>b[1]-a[1])) console.log(k.padEnd(40), v.toFixed(2));
