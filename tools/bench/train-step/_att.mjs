import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { attentionCore, layerNorm, registerAllGradients, sparseExperts, selectTopK, SeededRandom, dropoutMask } from '@flexmoe/moe-core';
await registerAllGradients();
await tf.setBackend(process.argv[2] ?? 'wasm'); await tf.ready();
const B=8,N=64,h=4,H=128;
const q=tf.randomNormal([B*N,H]), kv=tf.randomNormal([B*N,2*H]);
const rng=new SeededRandom(1);
function time(name,f,n=10){ for(let i=0;i<2;i++) tf.tidy(f); const ts=[]; for(let i=0;i<n;i++){ const t=performance.now(); tf.tidy(f); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b); console.log(name.padEnd(30), 'min', ts[0].toFixed(2),'med', ts[n>>1].toFixed(2)); }
const only = process.argv[3] ?? 'all';
if (only==='all'||only==='attn') {
time("attn fwd", ()=>{ attentionCore(q,kv,{batch:B,tokens:N,heads:h,hidden:H},null); });
time('attn fwd+bwd', ()=>{ const [a,b]=tf.grads((x,y)=>tf.sum(attentionCore(x,y,{batch:B,tokens:N,heads:h,hidden:H},null)))([q,kv]); a.dataSync(); });
}
const E=16,k=4; const x=tf.randomNormal([B*N,H]); const w={w1:tf.mul(tf.randomNormal([E,H,2*H]),0.01), b1:tf.zeros([E,2*H]), w2:tf.mul(tf.randomNormal([E,2*H,H]),0.01), b2:tf.zeros([E,H])};
const logits=tf.randomNormal([B*N,E]); const choice=selectTopK(logits.dataSync(),B*N,E,k); const G=tf.softmax(logits);
if (only==='all'||only==='exp') {
time('experts fwd', ()=>{ sparseExperts(x,G,choice,w); });
time('experts fwd+bwd', ()=>{ const gr=tf.grads((a,b,c,d,e,f)=>tf.sum(sparseExperts(a,b,choice,{w1:c,b1:d,w2:e,b2:f})))([x,G,w.w1,w.b1,w.w2,w.b2]); gr[0].dataSync(); });
}
if (only==='all'||only==='adam') {
const vars=[w.w1,w.b1,w.w2,w.b2].map(t=>tf.variable(t));
const opt=tf.train.adam(1e-4);
time('adam on expert weights', ()=>{ opt.applyGradients(vars.map(v=>({name:v.name, tensor:tf.onesLike(v)}))); });
}
time('dropout mask 131k', ()=>{ dropoutMask(rng,B*h*N*N,0.5,true); });
