import type { AppSpec, FieldSpec, ResourceSpec } from '../spec.ts';

/** The generated web page: one section per resource with a labelled form and a list. */

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "pricePerDayCents" → "Price per day cents". */
export function labelOf(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[-_]/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const INPUT_TYPE: Record<FieldSpec['type'], string> = {
  text: 'text',
  number: 'number',
  boolean: 'checkbox',
  date: 'date',
  timestamp: 'datetime-local',
  uuid: 'text',
};

function inputHtml(resource: ResourceSpec, field: FieldSpec): string {
  const id = `${resource.plural}-${field.name}`;
  const attrs = [
    `id="${id}"`,
    `name="${field.name}"`,
    `type="${INPUT_TYPE[field.type]}"`,
    field.required && field.type !== 'boolean' ? 'required' : '',
    field.type === 'number' ? 'step="any"' : '',
    field.type === 'uuid'
      ? 'pattern="[0-9a-fA-F-]{36}" placeholder="00000000-0000-4000-8000-000000000000"'
      : '',
  ].filter((a) => a !== '');
  return `          <div class="field">
            <label for="${id}">${escapeHtml(labelOf(field.name))}</label>
            <input ${attrs.join(' ')}>
          </div>`;
}

function sectionHtml(resource: ResourceSpec): string {
  const heading = labelOf(resource.plural);
  return `      <section aria-labelledby="${resource.plural}-heading" data-resource="${resource.plural}">
        <h2 id="${resource.plural}-heading">${escapeHtml(heading)}</h2>
        <form data-create="${resource.plural}" aria-label="New ${escapeHtml(labelOf(resource.name).toLowerCase())}">
${resource.fields.map((f) => inputHtml(resource, f)).join('\n')}
          <button type="submit">Add ${escapeHtml(labelOf(resource.name).toLowerCase())}</button>
        </form>
        <ul id="${resource.plural}-items" aria-label="${escapeHtml(heading)}"></ul>
      </section>`;
}

export function indexHtml(spec: AppSpec): string {
  const title = escapeHtml(spec.title);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title}</title>
    <link rel="stylesheet" href="/style.css">
    <script type="module" src="/app.js"></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to content</a>
    <header>
      <h1>${title}</h1>
      <form id="who" aria-label="Who you are">
        <label for="user">Your name</label>
        <input id="user" name="user" autocomplete="username" required>
      </form>
    </header>
    <main id="main">
${spec.resources.map(sectionHtml).join('\n')}
    </main>
    <p id="status" role="status" aria-live="polite"></p>
    <footer><p>${title}: data stays on this server.</p></footer>
  </body>
</html>
`;
}

export function webAppJs(spec: AppSpec): string {
  const fields = Object.fromEntries(
    spec.resources.map((r) => [r.plural, { path: r.path, fields: r.fields.map((f) => [f.name, f.type]) }]),
  );
  return `// Talks to the API with fetch; every outcome is announced in the live status region.
const RESOURCES = ${JSON.stringify(fields, null, 2)};

const status = document.getElementById('status');
const userInput = document.getElementById('user');
userInput.value = localStorage.getItem('user') ?? '';
userInput.addEventListener('change', () => localStorage.setItem('user', userInput.value.trim()));

function announce(message) {
  status.textContent = message;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json', 'x-user': userInput.value.trim() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? undefined : await res.json();
  return { ok: res.ok, status: res.status, data };
}

function valueOf(input, type) {
  if (type === 'boolean') return input.checked;
  if (input.value === '') return undefined;
  if (type === 'number') return Number(input.value);
  if (type === 'timestamp') return new Date(input.value).toISOString();
  return input.value;
}

async function refresh(plural) {
  const { path, fields } = RESOURCES[plural];
  const list = document.getElementById(plural + '-items');
  const result = await api('GET', path);
  if (!result.ok) return announce(result.data.error);
  list.replaceChildren(
    ...result.data.items.map((record) => {
      const item = document.createElement('li');
      item.textContent = fields.map(([name]) => record[name]).filter((v) => v !== null).join(' · ');
      return item;
    }),
  );
}

for (const form of document.querySelectorAll('form[data-create]')) {
  const plural = form.dataset.create;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {};
    for (const [name, type] of RESOURCES[plural].fields) {
      const value = valueOf(form.elements[name], type);
      if (value !== undefined) body[name] = value;
    }
    const result = await api('POST', RESOURCES[plural].path, body);
    if (!result.ok) {
      const details = Object.entries(result.data.fields ?? {}).map(([f, why]) => f + ' ' + why);
      return announce([result.data.error, ...details].join('. '));
    }
    form.reset();
    announce('Saved.');
    await refresh(plural);
  });
  if (userInput.value !== '') refresh(plural);
}
`;
}

/** Contrast: #1a1a1a on #ffffff is 17.4:1, #ffffff on #0b57d0 is 6.6:1 (WCAG AA needs 4.5:1). */
export function styleCss(): string {
  return `:root {
  color: #1a1a1a;
  background: #ffffff;
  font: 1rem/1.5 system-ui, sans-serif;
}
body {
  max-width: 48rem;
  margin: 0 auto;
  padding: 1rem;
}
.skip-link {
  position: absolute;
  left: -999px;
}
.skip-link:focus {
  left: 1rem;
}
.field {
  display: flex;
  flex-direction: column;
  margin-bottom: 0.75rem;
}
input {
  font: inherit;
  padding: 0.4rem;
  border: 1px solid #595959;
  border-radius: 4px;
}
button {
  font: inherit;
  padding: 0.5rem 1rem;
  color: #ffffff;
  background: #0b57d0;
  border: 0;
  border-radius: 4px;
  cursor: pointer;
}
a:focus-visible,
input:focus-visible,
button:focus-visible {
  outline: 3px solid #b3261e;
  outline-offset: 2px;
}
#status {
  min-height: 1.5rem;
  font-weight: 600;
}
`;
}
