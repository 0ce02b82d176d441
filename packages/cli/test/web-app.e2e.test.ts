/**
 * The browser app end to end in headless Chromium: `flexmoe export --web` builds and writes the app with a
 * demo-sized model; a patient lacking two modalities is entered in the page's form (and pasted as JSON); the
 * page's probabilities and acquisition values equal `flexmoe predict --counterfactuals` on the same record;
 * no request leaves the page after the model is loaded; bad files and records give a message, no console error.
 */
import type { RawPatientRecord } from '@flexmoe/data';
import type { Prediction } from '@flexmoe/export';
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../trainer/src/report/browser-check.js';
import { toolForTests } from '../../data/src/testing/tool-gate.js';
import { REPO_ROOT, runCliChild } from './support/fixtures.js';
import { writeDemoModel, type DemoModel } from './support/web-demo-model.js';
import { serveStatic } from './support/static-server.js';

interface PageLog {
  consoleErrors: string[];
  requests: string[];
}

function watch(page: Page): PageLog {
  const log: PageLog = { consoleErrors: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') log.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => log.consoleErrors.push(err.message));
  page.on('request', (req) => log.requests.push(req.url()));
  return log;
}

/** M/D/YYYY → YYYY-MM-DD (what a date input holds). */
function isoDay(text: string): string {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  return us ? `${us[3]}-${us[1].padStart(2, '0')}-${us[2].padStart(2, '0')}` : text.slice(0, 10);
}

/** Types a raw record into the page's form: unticks absent modalities, fills every given value. */
async function fillForm(page: Page, modalities: string[], record: RawPatientRecord): Promise<void> {
  for (let i = 0; i < modalities.length; i++) {
    const part = record.modalities[modalities[i]] as Record<string, string | number | null> | undefined;
    if (!part) {
      await page.uncheck(`#include-${i}`);
      continue;
    }
    const names = await page.$$eval(`fieldset[data-modality="${modalities[i]}"] [name]`, (els) =>
      els.map((e) => e.getAttribute('name') as string),
    );
    for (const [column, value] of Object.entries(part)) {
      if (value === null) continue;
      const name = names.find(
        (n) =>
          n
            .slice(n.indexOf('::') + 2)
            .trim()
            .toUpperCase() === column.trim().toUpperCase(),
      );
      if (!name) throw new Error(`the form has no field for ${modalities[i]}.${column}`);
      const selector = `[name="${name.replace(/"/g, '\\"')}"]`;
      const tag = await page.$eval(selector, (e) => `${e.tagName}:${e.getAttribute('type') ?? ''}`);
      if (tag.startsWith('SELECT')) {
        // A value too rare to be a category of its own is offered as the "other" category (the last option), which
        // is where `flexmoe predict` maps it too.
        const options = await page.$$eval(`${selector} option`, (els) =>
          els.map((e) => (e as HTMLOptionElement).value),
        );
        const choice = options.includes(String(value)) ? String(value) : options[options.length - 1];
        await page.selectOption(selector, choice);
      } else if (tag === 'INPUT:date') await page.fill(selector, isoDay(String(value)));
      else await page.fill(selector, String(value));
    }
  }
}

/** Waits for the page's state; on a timeout, says what the page shows instead. */
async function waitForState(page: Page, state: string, log: PageLog): Promise<void> {
  try {
    await page.waitForSelector(`body[data-state="${state}"]`, { state: 'attached', timeout: 60000 });
  } catch {
    const shown = await page.evaluate(() => ({
      state: document.body.dataset.state,
      status: document.getElementById('status')?.textContent,
      error: document.getElementById('error')?.textContent,
    }));
    throw new Error(
      `page never reached ${state}: ${JSON.stringify(shown)}; console errors ${JSON.stringify(log.consoleErrors)}`,
    );
  }
}

async function pagePrediction(page: Page, log: PageLog): Promise<Prediction> {
  await waitForState(page, 'predicted', log);
  return JSON.parse(await page.$eval('#prediction-json', (e) => e.textContent as string)) as Prediction;
}

function expectSamePrediction(actual: Prediction, expected: Prediction): void {
  expect(actual.combination).toEqual(expected.combination);
  expect(actual.predictedClass).toBe(expected.predictedClass);
  for (const [c, p] of Object.entries(expected.probabilities))
    expect(Math.abs(actual.probabilities[c] - p)).toBeLessThan(1e-4);
  const effects = expected.missingModalityEffects ?? [];
  expect(effects.length).toBe(2);
  expect(actual.missingModalityEffects?.map((e) => e.modality).sort()).toEqual(effects.map((e) => e.modality).sort());
  for (const e of effects) {
    const got = actual.missingModalityEffects?.find((x) => x.modality === e.modality);
    if (!got) throw new Error(`no acquisition value for ${e.modality}`);
    expect(got.samples).toBe(e.samples);
    expect(Math.abs(got.maxAbsShift - e.maxAbsShift)).toBeLessThan(1e-4);
    expect(Math.abs(got.predictedClassChangeProbability - e.predictedClassChangeProbability)).toBeLessThan(1e-9);
    for (const [c, p] of Object.entries(e.expectedProbabilities))
      expect(Math.abs(got.expectedProbabilities[c] - p)).toBeLessThan(1e-4);
  }
}

const describeWithChromium = toolForTests('chromium', 'cli test/web-app.e2e.test.ts (2 browser tests)')
  ? describe
  : describe.skip;

describeWithChromium('the browser app (headless Chromium)', () => {
  let root: string;
  let demo: DemoModel;
  let server: { url: string; close: () => Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flexmoe-web-'));
    demo = await writeDemoModel(root);
    server = await serveStatic(demo.webDir);
    browser = await launchChromium();
  }, 300000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('a record lacking two modalities: the page predicts what flexmoe predict does, and nothing leaves after load', async () => {
    // A patient with every modality, of whom only clinical and history are kept.
    const full = demo.records.find((r) => demo.modalities.every((m) => r.modalities[m] !== undefined));
    if (!full) throw new Error('the synthetic tables have no full-modality patient');
    const record: RawPatientRecord = {
      modalities: { clinical: full.modalities.clinical, history: full.modalities.history },
    };
    const input = path.join(root, 'record.jsonl');
    await writeFile(input, `${JSON.stringify(record)}\n`);
    const out = path.join(root, 'predictions.jsonl');
    const cli = await runCliChild([
      'predict',
      '--model',
      demo.modelFile,
      '--input',
      input,
      '--out',
      out,
      '--counterfactuals',
    ]);
    expect(cli.code).toBe(0);
    const expected = JSON.parse((await readFile(out, 'utf8')).trim()) as Prediction;
    expect(expected.combination.letters).toBe('CH');

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const log = watch(page);
    await page.goto(server.url);
    await waitForState(page, 'ready', log);
    const atLoad = log.requests.splice(0);
    expect(atLoad.every((u) => u.startsWith(server.url))).toBe(true);
    expect(atLoad.some((u) => u.endsWith('/model.onnx'))).toBe(true);
    expect(await page.$eval('#ensemble', (e) => e.textContent)).toBe(
      'Seed ensemble: the mean probability of 2 models (seeds 7, 8).',
    );

    await fillForm(page, demo.modalities, record);
    await page.click('#predict-form');
    expectSamePrediction(await pagePrediction(page, log), expected);
    expect(await page.$$eval('#acquisition svg .acq-row', (els) => els.length)).toBe(2);
    await mkdir(path.join(REPO_ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'docs/web-app.png'), fullPage: true });

    // The same record pasted as JSON, as records.jsonl holds it.
    await page.evaluate(() => document.body.removeAttribute('data-state'));
    await page.click('#paste summary');
    await page.fill('#record-text', JSON.stringify(record));
    await page.click('#predict-text');
    expectSamePrediction(await pagePrediction(page, log), expected);

    expect(log.requests).toEqual([]);
    expect(log.consoleErrors).toEqual([]);
    await page.close();
  }, 180000);

  test('a malformed or foreign ONNX file and a record with wrong types give a readable message, no console error', async () => {
    const page = await browser.newPage();
    const log = watch(page);
    await page.goto(server.url);
    await waitForState(page, 'ready', log);
    const errorText = async (): Promise<string> => {
      await page.waitForSelector('#error:not([hidden])');
      return page.$eval('#error', (e) => e.textContent as string);
    };

    await page.setInputFiles('#model-file', {
      name: 'broken.onnx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02, 0x03]),
    });
    expect(await errorText()).toMatch(/^broken\.onnx: not a valid ONNX protobuf/);

    const foreign = toBinary(
      ModelProtoSchema,
      create(ModelProtoSchema, { irVersion: 8n, producerName: 'someone-else' }),
    );
    await page.setInputFiles('#model-file', {
      name: 'other.onnx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(foreign),
    });
    expect(await errorText()).toBe(
      'other.onnx: metadata key flexmoe.format_version is missing (not a Flex-MoE export?)',
    );
    expect(await page.$eval('#record-section', (e) => (e as HTMLElement).hidden)).toBe(true);

    await page.setInputFiles('#model-file', {
      name: 'model.onnx',
      mimeType: 'application/octet-stream',
      buffer: await readFile(demo.modelFile),
    });
    await waitForState(page, 'ready', log);
    await page.click('#paste summary');
    await page.fill('#record-text', JSON.stringify({ modalities: { clinical: { score: { value: 3 } } } }));
    await page.click('#predict-text');
    expect(await errorText()).toMatch(/pasted record.*clinical.*score: expected a number, text or null/);
    await page.fill('#record-text', JSON.stringify({ modalities: { clinical: [1, 2] } }));
    await page.click('#predict-text');
    expect(await errorText()).toMatch(/pasted record.*clinical.*expected an object/);
    await page.fill('#record-text', 'id,clinical:nope\n1,2');
    await page.click('#predict-text');
    expect(await errorText()).toMatch(/column 2 "clinical:nope" is not a feature of the model/);

    // Several records: the first is predicted, the others can be chosen.
    const [a, b] = demo.records.filter((r) => r.modalities.clinical && r.modalities.history);
    const lines = [
      { modalities: { clinical: a.modalities.clinical } },
      { modalities: { history: b.modalities.history } },
    ];
    await page.evaluate(() => document.body.removeAttribute('data-state'));
    await page.fill('#record-text', lines.map((l) => JSON.stringify(l)).join('\n'));
    await page.click('#predict-text');
    expect((await pagePrediction(page, log)).combination.letters).toBe('C');
    await page.evaluate(() => document.body.removeAttribute('data-state'));
    await page.selectOption('#record-choice', '1');
    expect((await pagePrediction(page, log)).combination.letters).toBe('H');
    expect(await page.$eval('#run-facts', (e) => e.textContent)).toMatch(/pasted record, line 2 \(2 of 2\)/);

    // A model on another site is refused with a message (the content security policy would block it).
    await page.goto(`${server.url}?model=${encodeURIComponent('https://elsewhere.example/model.onnx')}`);
    expect(await errorText()).toBe(
      'https://elsewhere.example/model.onnx: the page opens models from its own site only; download the file and open it here',
    );
    expect(log.requests.filter((u) => !u.startsWith(server.url))).toEqual([]);

    expect(log.consoleErrors).toEqual([]);
    await page.close();
  }, 120000);
});
