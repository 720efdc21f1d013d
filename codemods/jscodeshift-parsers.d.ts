/** jscodeshift's own Babel parser factories (CommonJS, untyped): `getParser('ts' | 'tsx' | 'babel')` returns these. */
declare module 'jscodeshift/parser/ts.js' {
  const make: () => { parse(code: string): unknown };
  export default make;
}
declare module 'jscodeshift/parser/tsx.js' {
  const make: () => { parse(code: string): unknown };
  export default make;
}
declare module 'jscodeshift/parser/babel5Compat.js' {
  const make: () => { parse(code: string): unknown };
  export default make;
}
