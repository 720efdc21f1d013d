/** Writes bounded.policy.schema.json from the schema source: `npm run schema`. */
import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from './schema.js';

export function schemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  writeFileSync(new URL('../bounded.policy.schema.json', import.meta.url), schemaText());
}
