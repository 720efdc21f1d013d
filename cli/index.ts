/**
 * The `bounded` command as a library: `main(argv, io)` runs it as the binary does and resolves
 * to its exit code (0 clean, 1 findings or failures).
 */
export { helpText, main, type Io } from './main.js';
