// The loader hooks of register.mjs: they run on the loader's own thread, and write each URL
// synchronously as it is loaded, so the list is whole however the process exits.
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  appendFileSync(file, `${url}\n`);
  return result;
}
