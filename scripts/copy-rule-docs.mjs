// eslint-plugin-bounded's prepack: the rule docs live at the repository root (rules-docs/, where
// eslint-doc-generator writes them); the package ships a copy, so each rule's docs URL names a
// file that is in the tarball too.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../rules-docs/', import.meta.url);
const to = new URL('../eslint-plugin/rules-docs/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
