import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { TypedAdam, registerAllGradients } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend('wasm'); await tf.ready();
const shapes=[[16,128,256],[16,256,128],[15,4,16,128],[125,128],[16,256],[16,128],[128,384],[128,128]];
const vars=shapes.map(s=>tf.variable(tf.randomNormal(s)));
const grads=vars.map(v=>tf.randomNormal(v.shape));
function time(name,opt,n=8){ const f=()=>opt.applyGradients(vars.map((v,i)=>({name:v.name,tensor:grads[i]}))); f(); f(); const ts=[]; for(let i=0;i<n;i++){const t=performance.now(); f(); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b); console.log(name.padEnd(20),'min',ts[0].toFixed(1),'med',ts[n>>1].toFixed(1)); }
time('tf.train.adam', tf.train.adam(1e-4));
time('TypedAdam', new TypedAdam({learningRate:1e-4}));
