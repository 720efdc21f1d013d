/** Where the CLI writes; injectable so tests read what a user would see. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}
