// Injected into every bundle (see bundle.mjs): what import.meta.url means in a CommonJS bundle.
import { pathToFileURL } from 'node:url';

export const import_meta_url = pathToFileURL(__filename).href;
