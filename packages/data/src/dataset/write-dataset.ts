/** Writing a dataset directory atomically (docs/architecture.md §2, docs/data.md). */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeLabels, encodeModality } from './arrow-io.js';
import { TOOL_NAME, TOOL_VERSION } from './tool-version.js';
import type { DatasetContent, DatasetManifest } from './types.js';
import { countContent, validateContent } from './validate-content.js';

/** The file name of a modality inside a dataset directory. */
export function modalityFileName(name: string): string {
  return `modality-${name}.arrow`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates `content` and writes it to `dir`: everything goes to a temporary sibling `dir.tmp-<random>`
 * that is renamed to `dir` at the end. An existing dataset at `dir` is replaced only after the new one
 * is complete; a non-empty directory that is not a dataset is never replaced.
 * @param options `splitsGiven`: the splits come from the user as is (validation/test may then hold
 *   patients without every modality)
 * @returns the manifest that was written
 * @throws when the content is inconsistent (nothing is written)
 */
export async function writeDataset(
  dir: string,
  content: DatasetContent,
  options: { splitsGiven?: boolean } = {},
): Promise<DatasetManifest> {
  const splitsGiven = options.splitsGiven ?? false;
  const problems = validateContent(content, { fullOnlyEvaluation: !splitsGiven });
  if (problems.length > 0) throw new Error(`dataset content is inconsistent:\n  - ${problems.join('\n  - ')}`);
  const target = path.resolve(dir);
  if (await exists(target)) {
    const entries = await readdir(target).catch(() => {
      throw new Error(`${dir}: exists and is not a directory`);
    });
    if (entries.length > 0 && !entries.includes('manifest.json')) {
      throw new Error(`${dir}: exists, is not empty and is not a dataset (no manifest.json); refusing to replace it`);
    }
  }
  await mkdir(path.dirname(target), { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const tmp = `${target}.tmp-${tag}`;
  await mkdir(tmp);
  try {
    for (const m of content.modalities) {
      await writeFile(path.join(tmp, modalityFileName(m.name)), encodeModality(m.ids, m.features, m.featureNames.length));
    }
    await writeFile(path.join(tmp, 'labels.arrow'), encodeLabels(content.labels.ids, content.labels.label));
    await writeFile(path.join(tmp, 'splits.json'), `${JSON.stringify(content.splits)}\n`);
    const transformsText = `${JSON.stringify(content.transforms)}\n`;
    await writeFile(path.join(tmp, 'transforms.json'), transformsText);
    const manifest: DatasetManifest = {
      formatVersion: 1,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      source: content.source,
      createdAt: new Date().toISOString(),
      modalities: content.modalities.map((m) => ({
        name: m.name,
        letter: m.letter,
        file: modalityFileName(m.name),
        width: m.featureNames.length,
        featureNames: m.featureNames,
        kind: 'tabular',
      })),
      classes: content.classes,
      counts: countContent(content),
      sources: content.sources,
      labelsFile: 'labels.arrow',
      splitsFile: 'splits.json',
      splitsOrigin: splitsGiven ? 'given' : 'generated',
      transformsFile: 'transforms.json',
      transformsSha256: createHash('sha256').update(transformsText).digest('hex'),
    };
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (await exists(target)) {
      const old = `${target}.old-${tag}`;
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (e) {
        await rename(old, target); // put the previous dataset back
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
