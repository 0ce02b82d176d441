/** The patient form in the page: one fieldset per modality (from {@link modalityForms}), each can be left out. */
import type { FieldSpec, FieldValues, ModalityForm } from './form-spec.js';
import { h } from './dom.js';

function fieldInput(form: ModalityForm, f: FieldSpec): HTMLElement {
  const name = `${form.name}::${f.key}`;
  switch (f.kind) {
    case 'number':
      return h('input', {
        type: 'text',
        inputmode: 'decimal',
        name,
        placeholder: `${f.range[0]} … ${f.range[1]}`,
        title: `training range ${f.range[0]} to ${f.range[1]}`,
      });
    case 'select':
      return h(
        'select',
        { name },
        h('option', { value: '' }, `— (imputed: ${f.mode})`),
        ...f.options.map((o) => h('option', { value: o }, o)),
      );
    case 'date':
      return h('input', { type: 'date', name });
    case 'dosage':
      return h(
        'select',
        { name, title: f.alleles },
        h('option', { value: '' }, '— (imputed)'),
        ...['0', '1', '2'].map((o) => h('option', { value: o }, o)),
      );
    case 'list':
      return h('textarea', { name, rows: 2, placeholder: f.placeholder });
    case 'json':
      return h('textarea', { name, rows: 4, placeholder: f.placeholder, spellcheck: 'false' });
    case 'text':
      return h('textarea', { name, rows: 4 });
  }
}

/** Builds the fieldsets into `target`. */
export function renderRecordForm(target: HTMLElement, forms: readonly ModalityForm[]): void {
  target.replaceChildren(
    ...forms.map((form, i) => {
      const include = h('input', { type: 'checkbox', id: `include-${i}`, 'data-modality': form.name, checked: true });
      const fields = h(
        'div',
        { class: 'fields' },
        ...form.fields.map((f) =>
          h('label', { class: `field field-${f.kind}` }, h('span', {}, f.label), fieldInput(form, f)),
        ),
      );
      const set = h(
        'fieldset',
        { class: 'modality', 'data-modality': form.name },
        h('legend', {}, include, h('label', { for: `include-${i}` }, ` ${form.letter} · ${form.name}`)),
        form.note ? h('p', { class: 'note' }, form.note) : null,
        fields,
      );
      include.addEventListener('change', () => {
        set.classList.toggle('left-out', !include.checked);
        fields
          .querySelectorAll('input, select, textarea')
          .forEach((el) => ((el as HTMLInputElement).disabled = !include.checked));
      });
      return set;
    }),
  );
}

/** Field values of the modalities that are ticked, by modality name. */
export function readRecordForm(target: HTMLElement, forms: readonly ModalityForm[]): Map<string, FieldValues> {
  const given = new Map<string, FieldValues>();
  forms.forEach((form, i) => {
    const include = target.querySelector<HTMLInputElement>(`#include-${i}`);
    if (!include?.checked) return;
    const values: FieldValues = {};
    for (const f of form.fields) {
      const el = target.querySelector<HTMLInputElement>(`[name="${CSS.escape(`${form.name}::${f.key}`)}"]`);
      values[f.key] = el?.value ?? '';
    }
    given.set(form.name, values);
  });
  return given;
}
