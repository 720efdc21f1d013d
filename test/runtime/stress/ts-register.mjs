// Lets a child `node` process run bounded's TypeScript sources (the memory chaos's child, in
// tests): `.js` specifiers resolve to the `.ts` file beside them, and `.ts` is transpiled with
// the project's own TypeScript (types erased, nothing checked).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
