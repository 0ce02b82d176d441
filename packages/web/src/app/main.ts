/**
 * The page: open a model (file picker, drag and drop, `?model=URL` or the model shipped next to the app), enter
 * one patient (a form per modality, or a pasted/dropped JSON record or CSV row), predict on this device.
 * Nothing is sent anywhere: the only requests are the app's own files and the model, before any record exists.
 */
import type { Prediction } from '@flexmoe/export/browser';
import { byId, h } from './dom.js';
import {
  configureOnnxRuntime,
  ModelFileError,
  openBrowserModel,
  type BrowserModel,
  type WebExecutionProvider,
} from './browser-model.js';
import { FormValueError, modalityForms, recordFromForms, type ModalityForm } from './form-spec.js';
import { parsePastedRecords, PastedRecordError, type PastedRecord } from './pasted-records.js';
import { readRecordForm, renderRecordForm } from './record-form.js';
import { renderPrediction, type RunFacts } from './render-results.js';

let model: BrowserModel | undefined;
let forms: ModalityForm[] = [];
let busy = false;

function showError(message: string): void {
  const box = byId('error');
  box.textContent = message;
  box.hidden = false;
  document.body.dataset.state = 'error';
}

function clearError(): void {
  byId('error').hidden = true;
}

/** Errors the user can act on get their message; anything else is shown too (never only in the console). */
function report(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  showError(
    e instanceof ModelFileError || e instanceof PastedRecordError || e instanceof FormValueError
      ? message
      : `Unexpected error: ${message}`,
  );
}

function status(text: string): void {
  byId('status').textContent = text;
}

function preferredProvider(): WebExecutionProvider | undefined {
  const ep = new URLSearchParams(location.search).get('ep');
  return ep === 'wasm' || ep === 'webgpu' ? ep : undefined;
}

async function openModel(bytes: Uint8Array, source: string): Promise<void> {
  clearError();
  status(`Opening ${source} …`);
  const previous = model;
  model = undefined;
  byId('record-section').hidden = true;
  byId('result-section').hidden = true;
  document.body.dataset.state = 'loading';
  if (previous) await previous.release();
  const opened = await openBrowserModel(bytes, source, preferredProvider());
  model = opened;
  forms = modalityForms(opened.metadata.modalities, opened.transforms);
  renderModelSummary(opened);
  renderRecordForm(byId('forms'), forms);
  byId('record-section').hidden = false;
  status(`Model ready (${opened.provider}).`);
  document.body.dataset.state = 'ready';
}

function renderModelSummary(m: BrowserModel): void {
  const meta = m.metadata;
  byId('model-summary').replaceChildren(
    h(
      'p',
      {},
      h('strong', {}, m.source),
      ` · ${(m.bytes / 1e6).toFixed(1)} MB · ${meta.producer.name} ${meta.producer.version}`,
    ),
    h('p', {}, `Classes: ${meta.classes.join(', ')}`),
    h('p', {}, `Modalities: ${meta.modalities.map((x) => `${x.letter} ${x.name} (${x.width})`).join(' · ')}`),
    meta.ensemble
      ? h(
          'p',
          { id: 'ensemble' },
          `Seed ensemble: the mean probability of ${meta.ensemble.members} models (seeds ${meta.ensemble.seeds.join(', ')}).`,
        )
      : '',
    h(
      'p',
      { class: 'note', id: 'provider', 'data-provider': m.provider },
      `Runs on ${m.provider}${m.providerNote ? ` (${m.providerNote})` : ''}.`,
    ),
    m.transforms ? '' : h('p', { class: 'note' }, 'No transforms embedded: enter transformed features.'),
  );
}

async function predict(record: unknown, where: string): Promise<void> {
  if (!model) throw new ModelFileError('open a model first');
  if (busy) return;
  busy = true;
  const current = model;
  try {
    clearError();
    // The prediction first; the value of acquiring each missing modality (many more samples) right after.
    let started = performance.now();
    const [outcome] = await current.predictor.predictRecords([record], {}, where);
    const elapsedMs = performance.now() - started;
    if (!outcome.ok) {
      byId('result-section').hidden = true;
      showError(outcome.error);
      return;
    }
    showPrediction(outcome.prediction, { provider: current.provider, elapsedMs, where }, 'probabilities');
    started = performance.now();
    const [full] = await current.predictor.predictRecords([record], { counterfactuals: true }, where);
    const acquisitionMs = performance.now() - started;
    if (full.ok && model === current)
      showPrediction(full.prediction, { provider: current.provider, elapsedMs, acquisitionMs, where }, 'predicted');
  } finally {
    busy = false;
  }
}

function showPrediction(prediction: Prediction, facts: RunFacts, state: 'probabilities' | 'predicted'): void {
  if (!model) return;
  renderPrediction(byId('result'), prediction, model.metadata, facts);
  byId('result-section').hidden = false;
  document.body.dataset.state = state;
}

async function predictFromForm(): Promise<void> {
  const given = readRecordForm(byId('forms'), forms);
  if (given.size === 0) throw new FormValueError('tick at least one modality: a prediction needs one');
  await predict(recordFromForms(forms, given), 'form');
}

let pasted: PastedRecord[] = [];

/** Predicts the pasted record chosen in #record-choice (shown when the text holds several). */
async function predictChosen(): Promise<void> {
  const index = Number(byId<HTMLSelectElement>('record-choice').value || 0);
  const chosen = pasted[index];
  if (chosen)
    await predict(
      chosen.record,
      pasted.length > 1 ? `${chosen.where} (${index + 1} of ${pasted.length})` : chosen.where,
    );
}

async function predictFromText(text: string, source: string): Promise<void> {
  if (!model) throw new ModelFileError('open a model first');
  pasted = parsePastedRecords(text, model.metadata.modalities, source);
  const choice = byId<HTMLSelectElement>('record-choice');
  choice.replaceChildren(...pasted.map((r, i) => h('option', { value: i }, r.where)));
  choice.hidden = pasted.length < 2;
  await predictChosen();
}

async function readFileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

async function handleFile(file: File): Promise<void> {
  if (/\.(json|jsonl|csv|txt)$/i.test(file.name)) {
    const text = await file.text();
    (byId('record-text') as HTMLTextAreaElement).value = text;
    await predictFromText(text, file.name);
  } else {
    await openModel(await readFileBytes(file), file.name);
  }
}

async function modelFromUrl(url: string): Promise<void> {
  let target: URL;
  try {
    target = new URL(url, location.href);
  } catch {
    throw new ModelFileError(`?model=${url}: not a URL`);
  }
  if (target.origin !== location.origin) {
    // The content security policy would block it anyway; say why instead of failing in the console.
    throw new ModelFileError(
      `${url}: the page opens models from its own site only; download the file and open it here`,
    );
  }
  status(`Fetching ${url} …`);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ModelFileError(`${url}: cannot be fetched (${(e as Error).message})`);
  }
  if (!response.ok) throw new ModelFileError(`${url}: the server answered ${response.status} ${response.statusText}`);
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
  await openModel(new Uint8Array(await response.arrayBuffer()), name);
}

/** Runs an event handler, showing any error in the page (never as an uncaught console error). */
function guarded(fn: () => Promise<void>): () => void {
  return () => {
    fn().catch(report);
  };
}

function wire(): void {
  configureOnnxRuntime(new URL('ort/', document.baseURI).href);
  window.addEventListener('error', (e) => {
    e.preventDefault();
    report(e.error ?? e.message);
  });
  window.addEventListener('unhandledrejection', (e) => {
    e.preventDefault();
    report(e.reason);
  });
  const modelInput = byId<HTMLInputElement>('model-file');
  modelInput.addEventListener(
    'change',
    guarded(async () => {
      const file = modelInput.files?.[0];
      if (file) await openModel(await readFileBytes(file), file.name);
    }),
  );
  const recordInput = byId<HTMLInputElement>('record-file');
  recordInput.addEventListener(
    'change',
    guarded(async () => {
      const file = recordInput.files?.[0];
      if (file) {
        const text = await file.text();
        (byId('record-text') as HTMLTextAreaElement).value = text;
        await predictFromText(text, file.name);
      }
    }),
  );
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const file = e.dataTransfer?.files?.[0];
    if (file) guarded(() => handleFile(file))();
  });
  byId('predict-form').addEventListener('click', guarded(predictFromForm));
  // Enter in a field predicts instead of submitting the form to nowhere.
  byId('forms').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(predictFromForm)();
  });
  byId('record-choice').addEventListener('change', guarded(predictChosen));
  byId('predict-text').addEventListener(
    'click',
    guarded(() => predictFromText((byId('record-text') as HTMLTextAreaElement).value, 'pasted record')),
  );
  const url =
    new URLSearchParams(location.search).get('model') ??
    document.querySelector<HTMLMetaElement>('meta[name="flexmoe-model"]')?.content;
  if (url) guarded(() => modelFromUrl(url))();
  else status('Open a model exported by flexmoe export (.onnx): choose it or drop it on the page.');
}

wire();
