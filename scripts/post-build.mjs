// After `tsc -b`: the bin entry must be executable in the work tree as it is when installed.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../cli/dist/bin.js', import.meta.url), 0o755);
